/**
 * The `tapo` password prompt: `readHiddenLine` with a fake terminal stream (keys as raw mode
 * delivers them), and `main` asking for the password only when stdin is a terminal and none was
 * given. The device is simulated on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { EXIT_INTERRUPTED, main } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import { readHiddenLine } from '../../src/cli/prompt';
import type { PromptInput } from '../../src/cli/prompt';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';

const PASSWORD = 'tapo-sim';

/** A terminal's input as the prompt sees it: records raw mode, hands out keys on demand. */
class FakeTty extends EventEmitter implements PromptInput {
  isRaw = false;
  paused = true;
  /** Every raw mode set, in order. */
  readonly rawModes: boolean[] = [];
  /** Keys typed once the prompt listens (as soon as it resumes the stream). */
  private pending: (string | Buffer)[] = [];

  constructor(readonly isTTY: boolean = true) {
    super();
  }

  setRawMode(raw: boolean): this {
    this.isRaw = raw;
    this.rawModes.push(raw);
    return this;
  }

  resume(): this {
    this.paused = false;
    const keys = this.pending;
    this.pending = [];
    // Typed after the prompt is shown, each chunk in its own turn.
    for (const [i, chunk] of keys.entries()) setTimeout(() => this.emit('data', chunk), i);
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  /** Queues keys for when the prompt listens. */
  type(...chunks: (string | Buffer)[]): this {
    this.pending.push(...chunks);
    return this;
  }
}

async function read(...chunks: (string | Buffer)[]): Promise<{ answer: Awaited<ReturnType<typeof readHiddenLine>>; written: string; tty: FakeTty }> {
  const tty = new FakeTty().type(...chunks);
  let written = '';
  const answer = await readHiddenLine(tty, (t) => (written += t), 'Password: ');
  return { answer, written, tty };
}

describe('tapo CLI: readHiddenLine (the password prompt)', () => {
  it('prompts, reads until Enter without echo, and leaves the terminal as it was', async () => {
    const { answer, written, tty } = await read('s3cr', 'et!', '\r', 'after');
    assert.deepEqual(answer, { cancelled: false, text: 's3cret!' });
    // The prompt, then only the newline the terminal did not echo: never a typed character.
    assert.equal(written, 'Password: \n');
    assert.deepEqual(tty.rawModes, [true, false]);
    assert.equal(tty.paused, true);
    assert.equal(tty.listenerCount('data'), 0);
    assert.equal(tty.listenerCount('end'), 0);
  });

  it('restores raw mode that was already on', async () => {
    const tty = new FakeTty().type('x\n');
    tty.isRaw = true;
    await readHiddenLine(tty, () => undefined, 'Password: ');
    assert.equal(tty.isRaw, true);
  });

  it('Backspace (DEL or Ctrl-H) removes the last character, Ctrl-U the line; a newline ends it too', async () => {
    assert.deepEqual((await read('tapo-simx\u007f\r')).answer, { cancelled: false, text: 'tapo-sim' });
    assert.deepEqual((await read('ab', '\b', '\b', '\b', 'c\n')).answer, { cancelled: false, text: 'c' });
    assert.deepEqual((await read('wrong\u0015right\r')).answer, { cancelled: false, text: 'right' });
    // One character, not one UTF-16 unit, per Backspace.
    assert.deepEqual((await read('pa🔑\u007f\u00e9\r')).answer, { cancelled: false, text: 'paé' });
  });

  it('Ctrl-C cancels, whatever was typed', async () => {
    const { answer, written, tty } = await read('half', '\u0003', 'more\r');
    assert.deepEqual(answer, { cancelled: true });
    assert.equal(written, 'Password: \n');
    assert.deepEqual(tty.rawModes, [true, false]);
    assert.equal(tty.paused, true);
  });

  it('ignores arrow keys, bracketed-paste markers, Alt+key and other control characters', async () => {
    const keys = 'ab\u001b[D\u001b[200~cd\u001b[201~\u001bOA\u001bx\te\u0001\r';
    assert.deepEqual((await read(keys)).answer, { cancelled: false, text: 'abcde' });
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = Buffer.from('pässwörd\r', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    assert.deepEqual((await read(...chunks)).answer, { cancelled: false, text: 'pässwörd' });
  });

  it('Ctrl-D on an empty line, or the end of input, ends it with what was typed', async () => {
    assert.deepEqual((await read('\u0004')).answer, { cancelled: false, text: '' });
    assert.deepEqual((await read('ab\u0004c\r')).answer, { cancelled: false, text: 'abc' });
    const tty = new FakeTty();
    const pending = readHiddenLine(tty, () => undefined, 'Password: ');
    tty.emit('data', 'abc');
    tty.emit('end');
    assert.deepEqual(await pending, { cancelled: false, text: 'abc' });
    assert.equal(tty.isRaw, false);
  });
});

describe('tapo CLI: the password is asked for on a terminal', function () {
  this.timeout(30_000);
  let plug: SimulatedDevice;

  before(async () => {
    plug = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD });
  });
  after(async () => {
    await plug.stop();
  });

  async function tapo(args: string[], stdin: PromptInput | undefined, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, stdin };
    const code = await main(args, io);
    return { code, stdout, stderr };
  }

  const args = (...command: string[]): string[] => ['--host', `127.0.0.1:${plug.port}`, '--username', 'user@example.com', ...command];

  it('no --password nor TAPO_PASSWORD on a terminal: "Password: " on stderr, typed unseen, then the command runs', async () => {
    const logic = plug.logic as PlugLogic;
    const tty = new FakeTty().type('tapo-simm', '\u007f', '\r');
    const run = await tapo(args('on'), tty);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'Password: \n');
    assert.equal((JSON.parse(run.stdout) as { on: boolean }).on, true);
    assert.equal(logic.state.on, true);
    assert.deepEqual(tty.rawModes, [true, false]);
  });

  it('a wrong typed password is kept off stderr like a given one', async () => {
    const run = await tapo(args('info'), new FakeTty().type('hunter2-secret\r'));
    assert.equal(run.code, 10, run.stderr);
    assert.match(run.stderr, /^Password: \ntapo: /);
    assert.ok(!run.stderr.includes('hunter2-secret'), run.stderr);
  });

  it('Ctrl-C at the prompt exits 130 and sends nothing', async () => {
    const sent = plug.httpRequestCount;
    const run = await tapo(args('on'), new FakeTty().type('tapo', '\u0003'));
    assert.equal(run.code, EXIT_INTERRUPTED);
    assert.equal(EXIT_INTERRUPTED, 130);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, 'Password: \n');
    assert.equal(plug.httpRequestCount, sent);
  });

  it('an empty answer is the usual "no password" usage error', async () => {
    const run = await tapo(args('info'), new FakeTty().type('\r'));
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Password: \ntapo: no password: pass --password or set TAPO_PASSWORD\./);
  });

  it('--password and TAPO_PASSWORD still win: no prompt, nothing read', async () => {
    for (const [extra, env] of [[['--password', PASSWORD], {}], [[], { TAPO_PASSWORD: PASSWORD }]] as const) {
      const tty = new FakeTty().type('never read\r');
      const run = await tapo([...args(...extra), 'info'], tty, env);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.deepEqual(tty.rawModes, []);
      assert.equal(tty.listenerCount('data'), 0);
    }
  });

  it('not a terminal (or no stdin): the "no password" error as before, nothing read', async () => {
    for (const stdin of [new FakeTty(false), undefined]) {
      const run = await tapo(args('info'), stdin);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^tapo: no password: pass --password or set TAPO_PASSWORD\./);
      if (stdin) assert.deepEqual(stdin.rawModes, []);
    }
  });

  it('what the command line lacks besides the password is said before asking for it', async () => {
    const tty = new FakeTty().type('tapo-sim\r');
    const noUser = await tapo(['--host', `127.0.0.1:${plug.port}`, 'info'], tty);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /^tapo: --username \(the TP-Link account e-mail\) is required for plugs\./);
    const noHost = await tapo(['--username', 'u@example.com', 'info'], tty);
    assert.match(noHost.stderr, /^tapo: --host is required\./);
    const badCommand = await tapo(args('dance'), tty);
    assert.match(badCommand.stderr, /^tapo: unknown command "dance"/);
    assert.deepEqual(tty.rawModes, [], 'never prompted');
  });
});
