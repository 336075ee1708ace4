/**
 * Helpers of the browser tests: a Chromium found on this machine driven by playwright-core, a free
 * loopback port, the screenshot directory, and a bounded wait on a condition.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

/** Environment variables that name the browser's executable, looked at in this order. */
export const CHROMIUM_ENV_VARS: readonly string[] = ['CHROMIUM_PATH', 'CHROME_PATH'];

/** Commands looked for on PATH when no variable is set, in this order. */
export const CHROMIUM_COMMANDS: readonly string[] = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Why the browser tests cannot run, with what to install (they fail with it, never skip). */
export class ChromiumNotFound extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'ChromiumNotFound';
  }
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The Chromium (or Chrome) executable: the first of {@link CHROMIUM_ENV_VARS} that is set (it must
 * name an executable file: a wrong path is an error, not a reason to look elsewhere), else the
 * first of {@link CHROMIUM_COMMANDS} found on PATH. Throws {@link ChromiumNotFound} naming the
 * package to install.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  for (const name of CHROMIUM_ENV_VARS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (isExecutableFile(value)) return value;
    throw new ChromiumNotFound(`${name}=${value} is not an executable file. Point ${name} at the Chromium or Chrome executable, or unset it to look for ${CHROMIUM_COMMANDS.join(', ')} on PATH.`);
  }
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const command of CHROMIUM_COMMANDS) {
    for (const dir of dirs) {
      const file = path.join(dir, command);
      if (isExecutableFile(file)) return file;
    }
  }
  throw new ChromiumNotFound(
    `Chromium was not found: none of ${CHROMIUM_ENV_VARS.join(', ')} is set and none of ${CHROMIUM_COMMANDS.join(', ')} is on PATH. ` +
      'The browser tests need it: on Debian or Ubuntu install the "chromium" package (sudo apt-get install -y chromium; .ci/run does this), ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable. Then run the tests again.',
  );
}

/** Screenshots and other artifacts of the browser tests (git-ignored). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts');

/**
 * Flags for a headless Chromium in a closed network: without the background-networking flags
 * Chromium keeps trying to reach Google's services and its connections are refused.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser's executable; throws with what to install when it is missing (the tests never skip). */
export function requireChromium(): string {
  return findChromium();
}

/** A running browser with its own empty profile directory. */
export interface Browser {
  context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** Launches Chromium with a new, empty user-data-dir. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = requireChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1400, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(30_000);
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (Node-RED cannot listen on port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The path of a screenshot in {@link ARTIFACTS_DIR} (the directory is created). */
export function artifact(name: string): string {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}

/**
 * Waits until `condition()` is true, checking after each short pause; rejects with `what` after
 * `timeoutMs`. For state that changes without an event (the simulator's relay), never a fixed sleep.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves with `promise`, or rejects after `ms` with `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
