/**
 * `tapo onboard scan|join`: onboarding from a shell (src/devices/onboarding.ts). Join the device's
 * own Wi-Fi first; a camera answers there at 192.168.191.1 (the default `--host` for cameras), a
 * plug's address must be given. Logs in with the factory login (camera: `admin` and the factory
 * password; plug: blank credentials), once. The Wi-Fi password comes from `TAPO_WIFI_PASSWORD` or
 * a prompt without echo, never from the command line; a plug's account password from
 * `TAPO_PASSWORD` or a prompt. Neither is ever printed.
 */
import { DeviceConnection } from '../connection/connection';
import type { ConnectionOptions } from '../connection/connection';
import { CAMERA_AP_HOST, CAMERA_FACTORY_PASSWORD, CAMERA_FACTORY_USERNAME, Onboarding } from '../devices/onboarding';
import type { FollowOptions } from '../devices/onboarding';
import type { DeviceKind } from '../protocol/types';
import { readHiddenLine } from './prompt';
import type { PromptInput } from './prompt';

/** Usage of `tapo onboard`. */
export const ONBOARD_USAGE = `Usage: tapo onboard scan [options]
       tapo onboard join --ssid SSID [--bssid BSSID] [options]

Puts a factory-fresh device on your Wi-Fi, locally: first join the device's own Wi-Fi
(a camera's is Tapo_Cam_XXXX), then scan for networks and join one.

Options:
  --kind camera|plug        device kind (default camera)
  --host HOST[:PORT]        the device on its own network (cameras: default ${CAMERA_AP_HOST})
  --ssid SSID               join: the network to join, as the scan lists it
  --bssid BSSID             join: which access point, when several share the SSID
  --account EMAIL           plugs: the TP-Link account to bind (env TAPO_USERNAME); its password
                            from env TAPO_PASSWORD or asked for without echo
  --follow S                join: seconds to follow the device afterwards (default 20; 0 = do not follow)
  --factory-password P      cameras on legacy firmware: admin (default: the encrypt_type 3 factory password)
  --timeout S               per-request timeout in seconds (default 10)

The Wi-Fi password is read from env TAPO_WIFI_PASSWORD or asked for without echo.
`;

/** What the onboard command needs from the shell. */
export interface OnboardIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin?: PromptInput | undefined;
}

/** A command line the onboard command cannot use. */
export class OnboardUsageError extends Error {}

interface OnboardArgs {
  action: 'scan' | 'join';
  kind: DeviceKind;
  host?: string;
  ssid?: string;
  bssid?: string;
  account?: string;
  followS?: number;
  factoryPassword?: string;
  timeoutMs?: number;
}

const VALUE_OPTIONS = new Set(['kind', 'host', 'ssid', 'bssid', 'account', 'follow', 'factory-password', 'timeout']);

/** Reads `onboard`'s arguments (everything after the word `onboard`). */
export function parseOnboardArgs(argv: readonly string[], hostOption: (value: string) => string): OnboardArgs {
  let action: string | undefined;
  const out: Partial<OnboardArgs> = { kind: 'camera' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      if (action !== undefined) throw new OnboardUsageError(`onboard takes one action; unexpected "${arg}"`);
      action = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === 'password' || name === 'wifi-password') throw new OnboardUsageError('passwords are not taken on the command line: set TAPO_WIFI_PASSWORD (and TAPO_PASSWORD for a plug\'s account) or type them at the prompt');
    if (!VALUE_OPTIONS.has(name)) throw new OnboardUsageError(`unknown option --${name}`);
    const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new OnboardUsageError(`--${name} needs a value`);
    switch (name) {
      case 'kind':
        if (value !== 'camera' && value !== 'plug') throw new OnboardUsageError('--kind must be camera or plug');
        out.kind = value;
        break;
      case 'host':
        out.host = hostOption(value);
        break;
      case 'ssid':
        out.ssid = value;
        break;
      case 'bssid':
        out.bssid = value;
        break;
      case 'account':
        out.account = value;
        break;
      case 'follow': {
        const s = Number(value);
        if (!/^\d+(\.\d+)?$/.test(value) || s > 600) throw new OnboardUsageError('--follow must be a number of seconds from 0 to 600');
        out.followS = s;
        break;
      }
      case 'factory-password':
        out.factoryPassword = value;
        break;
      case 'timeout': {
        const s = Number(value);
        if (!/^\d+(\.\d+)?$/.test(value) || s < 1 || s > 120) throw new OnboardUsageError('--timeout must be a number of seconds from 1 to 120');
        out.timeoutMs = Math.round(s * 1000);
        break;
      }
    }
  }
  if (action !== 'scan' && action !== 'join') throw new OnboardUsageError('onboard needs an action: scan or join');
  if (action === 'scan' && (out.ssid !== undefined || out.bssid !== undefined)) throw new OnboardUsageError('--ssid and --bssid are for join');
  if (action === 'join' && out.ssid === undefined) throw new OnboardUsageError('join needs --ssid');
  if (out.kind === 'plug' && out.host === undefined) throw new OnboardUsageError('a plug has no known setup address: give --host');
  return { ...out, action } as OnboardArgs;
}

async function secret(io: OnboardIo, envName: string, prompt: string): Promise<string | undefined | 'cancelled'> {
  const fromEnv = io.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!io.stdin?.isTTY) return undefined;
  const answer = await readHiddenLine(io.stdin, io.stderr, prompt);
  return answer.cancelled ? 'cancelled' : answer.text;
}

/**
 * Runs `tapo onboard` and resolves with what to print (JSON-able), or `'cancelled'` after Ctrl-C
 * at a prompt. Throws an {@link OnboardUsageError} or a TapoError; returns the secrets it read so
 * the caller can keep them out of any message.
 */
export async function runOnboard(
  argv: readonly string[],
  io: OnboardIo,
  hostOption: (value: string) => string,
  secrets: string[],
): Promise<unknown> {
  const args = parseOnboardArgs(argv, hostOption);
  const camera = args.kind === 'camera';
  let wifiPassword: string | undefined;
  let account: { username: string; password: string } | undefined;
  if (args.action === 'join') {
    if (!camera) {
      const username = args.account ?? io.env['TAPO_USERNAME'];
      if (!username) throw new OnboardUsageError('a plug is bound to a TP-Link account: give --account EMAIL (or TAPO_USERNAME)');
      const password = await secret(io, 'TAPO_PASSWORD', 'TP-Link account password: ');
      if (password === 'cancelled') return 'cancelled';
      if (password === undefined) throw new OnboardUsageError('no account password: set TAPO_PASSWORD');
      secrets.push(password);
      account = { username, password };
    }
    const wifi = await secret(io, 'TAPO_WIFI_PASSWORD', 'Wi-Fi password: ');
    if (wifi === 'cancelled') return 'cancelled';
    if (wifi === undefined) throw new OnboardUsageError('no Wi-Fi password: set TAPO_WIFI_PASSWORD');
    secrets.push(wifi);
    wifiPassword = wifi;
  }
  const options: ConnectionOptions = {
    host: args.host ?? CAMERA_AP_HOST,
    kind: args.kind,
    credentials: camera
      ? { username: CAMERA_FACTORY_USERNAME, password: args.factoryPassword ?? CAMERA_FACTORY_PASSWORD }
      : { username: '', password: '' },
  };
  if (args.timeoutMs !== undefined) options.timeoutMs = args.timeoutMs;
  const connection = new DeviceConnection(options);
  try {
    const onboarding = new Onboarding(connection);
    if (args.action === 'scan') return await onboarding.scanAccessPoints();
    const follow: FollowOptions = args.followS === 0 ? { follow: false } : args.followS !== undefined ? { followMs: args.followS * 1000 } : {};
    const request = { ssid: args.ssid ?? '', password: wifiPassword ?? '', ...(args.bssid !== undefined ? { bssid: args.bssid } : {}) };
    return camera
      ? await onboarding.joinNetwork(request, follow)
      : await onboarding.onboardPlug({ ...request, account: account ?? { username: '', password: '' } }, follow);
  } finally {
    await connection.close();
  }
}
