/**
 * A hand-written RTSP client for the simulator's RTSP tests (not the package's client): one TCP
 * connection, Digest or Basic by hand, interleaved RTP packets collected as they come.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';

import { RTSP_REALM } from '../../src/simulator';

/** The camera account the RTSP tests start cameras with. */
export const ACCOUNT = { username: 'cam-user', password: 'cam-pass' };

export interface Reply {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

export interface RtpPacket {
  channel: number;
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  offset: number;
  type: number;
  q: number;
  width: number;
  height: number;
  data: Buffer;
  /** Everything after the 12-byte RTP header. */
  payload: Buffer;
}

export const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export function header(reply: Reply, name: string): string | undefined {
  return reply.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** A hand-written RTSP client on one TCP connection. */
export class RawRtsp {
  readonly packets: RtpPacket[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private readonly replies: Reply[] = [];
  private waiters: Array<() => void> = [];
  private cseq = 0;
  private nonce: string | undefined;
  session: string | undefined;

  private constructor(
    readonly socket: net.Socket,
    readonly base: string,
    private readonly account: { username: string; password: string },
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, account = ACCOUNT, path = 'stream8'): Promise<RawRtsp> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawRtsp(socket, `rtsp://127.0.0.1:${port}/${path}`, account);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when `ready()` holds, rejects after `ms`. */
  async until(ready: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private parse(): void {
    for (;;) {
      if (this.buffer.length === 0) return;
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) return;
        const length = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + length) return;
        const p = this.buffer.subarray(4, 4 + length);
        this.packets.push({
          channel: this.buffer[1] as number,
          marker: ((p[1] as number) & 0x80) !== 0,
          payloadType: (p[1] as number) & 0x7f,
          seq: p.readUInt16BE(2),
          timestamp: p.readUInt32BE(4),
          ssrc: p.readUInt32BE(8),
          offset: p.readUIntBE(13, 3),
          type: p[16] as number,
          q: p[17] as number,
          width: (p[18] as number) * 8,
          height: (p[19] as number) * 8,
          data: Buffer.from(p.subarray(20)),
          payload: Buffer.from(p.subarray(12)),
        });
        assert.equal((p[0] as number) >> 6, 2, 'RTP version 2');
        assert.equal((p[0] as number) & 0x3f, 0, 'no padding, extension or CSRC');
        this.buffer = this.buffer.subarray(4 + length);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers = lines.slice(1).map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
      const length = Number(headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      const m = /^RTSP\/1\.0 (\d{3}) /.exec(lines[0] ?? '');
      assert.ok(m, `status line: ${lines[0]}`);
      this.replies.push({ status: Number(m[1]), headers, body: this.buffer.subarray(end + 4, end + 4 + length).toString('utf8') });
      this.buffer = this.buffer.subarray(end + 4 + length);
    }
  }

  /** Sends one request and resolves with its reply; `auth`: 'digest' (after a 401 gave a nonce), 'basic' or 'none'. */
  async request(method: string, url: string, headers: Record<string, string> = {}, auth: 'digest' | 'basic' | 'none' = 'digest'): Promise<Reply> {
    const cseq = ++this.cseq;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${cseq}`, 'User-Agent: raw-test'];
    if (auth === 'basic') lines.push(`Authorization: Basic ${Buffer.from(`${this.account.username}:${this.account.password}`).toString('base64')}`);
    if (auth === 'digest' && this.nonce !== undefined) {
      const ha1 = md5(`${this.account.username}:${RTSP_REALM}:${this.account.password}`);
      const response = md5(`${ha1}:${this.nonce}:${md5(`${method}:${url}`)}`);
      lines.push(`Authorization: Digest username="${this.account.username}", realm="${RTSP_REALM}", nonce="${this.nonce}", uri="${url}", response="${response}"`);
    }
    if (this.session !== undefined && !('Session' in headers)) lines.push(`Session: ${this.session}`);
    for (const [n, v] of Object.entries(headers)) lines.push(`${n}: ${v}`);
    const before = this.replies.length;
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    await this.until(() => this.replies.length > before || this.closed, 3000, `${method} reply`);
    const reply = this.replies[before];
    if (reply === undefined) throw new Error(`connection closed before the ${method} reply`);
    assert.equal(header(reply, 'CSeq'), String(cseq));
    if (reply.status === 401) {
      const digest = reply.headers.filter(([n]) => n.toLowerCase() === 'www-authenticate').map(([, v]) => v).find((v) => v.startsWith('Digest'));
      this.nonce = digest !== undefined ? /nonce="([0-9a-f]+)"/.exec(digest)?.[1] : undefined;
    }
    return reply;
  }

  /** OPTIONS, DESCRIBE (401 then 200 with Digest), SETUP, PLAY. */
  async play(): Promise<void> {
    assert.equal((await this.request('OPTIONS', this.base)).status, 200);
    assert.equal((await this.request('DESCRIBE', this.base, { Accept: 'application/sdp' })).status, 401);
    const describe = await this.request('DESCRIBE', this.base, { Accept: 'application/sdp' });
    assert.equal(describe.status, 200);
    const setup = await this.request('SETUP', `${header(describe, 'Content-Base')}track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(setup.status, 200);
    this.session = header(setup, 'Session')?.split(';')[0];
    assert.equal((await this.request('PLAY', this.base, { Range: 'npt=0.000-' })).status, 200);
  }

  /** Complete frames so far, reassembled per media.md §3.3. */
  frames(): Buffer[] {
    const frames: Buffer[] = [];
    let open: Buffer[] | undefined;
    let collected = 0;
    for (const p of this.packets) {
      if (p.offset === 0) {
        open = [];
        collected = 0;
      }
      if (open === undefined) continue;
      assert.equal(p.offset, collected, 'fragment offset = bytes collected so far');
      open.push(p.data);
      collected += p.data.length;
      if (p.marker) {
        frames.push(Buffer.concat(open));
        open = undefined;
      }
    }
    return frames;
  }

  close(): void {
    this.socket.destroy();
  }
}

