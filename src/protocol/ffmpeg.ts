/**
 * One JPEG from a camera's H.264 stream (`stream1`/`stream2`, ../shared/protocol/media.md §4), with
 * ffmpeg as a local decoder only: this client speaks RTSP itself (src/protocol/rtsp.ts), takes the
 * access units from the first IDR picture on (src/protocol/rtp-h264.ts) and pipes them as Annex B
 * into `ffmpeg -f h264 -i pipe:0 … -frames:v 1 -c:v mjpeg -f image2pipe pipe:1`. ffmpeg never sees
 * the URL or the camera account: its command line is readable by every user of the host.
 *
 * One deadline covers RTSP and ffmpeg. On every path the RTSP socket is closed (after a TEARDOWN on
 * success) and ffmpeg, when still alive, is killed (SIGKILL) and waited for.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { TapoError } from './errors';
import { H264Depacketizer, IdrCollector, parseSpropParameterSets } from './rtp-h264';
import { isWholeJpeg, jfifSize } from './rtp-jpeg';
import type { RtpPacket } from './rtp-jpeg';
import { parseRtspUrl, playRtsp } from './rtsp';
import type { PlayControl, RtspSnapshot, RtspSnapshotOptions, RtspTrack } from './rtsp';

/**
 * The first executable `ffmpeg` (`ffmpeg.exe` on win32) in the directories of `path` (default:
 * the PATH of this process), or `undefined`. `platform` picks the name and the list separator
 * (`;` on win32, `:` elsewhere); paths are joined the host's way. No shell is run.
 */
export function findFfmpeg(options: { path?: string; platform?: NodeJS.Platform } = {}): string | undefined {
  const platform = options.platform ?? process.platform;
  const win = platform === 'win32';
  const searchPath = options.path ?? process.env.PATH ?? (win ? process.env.Path : undefined) ?? '';
  const name = win ? 'ffmpeg.exe' : 'ffmpeg';
  for (const dir of searchPath.split(win ? ';' : ':')) {
    const clean = win ? dir.replace(/^"(.*)"$/, '$1') : dir;
    if (clean === '') continue;
    const candidate = path.join(clean, name);
    try {
      if (!fs.statSync(candidate).isFile()) continue;
      if (!win) fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // missing or not executable: the next directory
    }
  }
  return undefined;
}

/** Options of {@link snapshotH264}. */
export interface H264SnapshotOptions extends RtspSnapshotOptions {
  /** The ffmpeg executable (default: {@link findFfmpeg}). */
  ffmpegPath?: string;
  /** Called with ffmpeg's process id once it is started (diagnostics and tests). */
  onSpawn?: (pid: number) => void;
}

/** ffmpeg's arguments: Annex B H.264 on stdin, one JPEG on stdout. Nothing about the camera. */
export const FFMPEG_ARGS: readonly string[] = [
  '-hide_banner',
  '-loglevel',
  'error',
  '-nostats',
  // Decode from the first access unit instead of probing seconds of stream first (the stream is
  // known to be H.264 with its parameter sets in front of the first IDR).
  '-probesize',
  '32',
  '-analyzeduration',
  '0',
  '-f',
  'h264',
  '-i',
  'pipe:0',
  '-frames:v',
  '1',
  '-an',
  '-c:v',
  'mjpeg',
  '-q:v',
  '3',
  '-f',
  'image2pipe',
  'pipe:1',
];

/** How much of ffmpeg's stderr is kept (its tail), and the longest line an error repeats. */
const STDERR_KEEP = 8 * 1024;
const STDERR_LINE = 300;
/** The longest JPEG read from ffmpeg; more is a broken decoder, not a picture. */
const MAX_JPEG = 32 * 1024 * 1024;
/** How long to wait for a killed ffmpeg to be reaped before giving up on it. */
const REAP_MS = 2000;

/**
 * Takes one JPEG from the H.264 stream at `url` (`rtsp://[user:password@]host[:port]/path`),
 * decoded by ffmpeg. Errors: those of the RTSP client (rtsp.ts), `rtspNoH264Track` (Unsupported),
 * `ffmpegNotStarted` (Unsupported), `ffmpegNoPicture` (Device).
 */
export async function snapshotH264(url: string, options: H264SnapshotOptions = {}): Promise<RtspSnapshot> {
  const where = parseRtspUrl(url).url;
  const ffmpegPath = options.ffmpegPath ?? findFfmpeg();
  if (ffmpegPath === undefined) {
    throw new TapoError('Unsupported', 'ffmpegNotStarted', { params: { path: 'ffmpeg', detail: 'not found on PATH' }, hint: 'installFfmpeg', sent: false });
  }
  const decoder = new FfmpegDecoder(ffmpegPath, where, options.onSpawn);
  const { username, password, timeoutMs, signal } = options;
  const rtspOptions: RtspSnapshotOptions = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(signal !== undefined ? { signal } : {}),
  };
  try {
    return await playRtsp<RtspSnapshot>(url, { ...rtspOptions, track: 'h264' }, (track, control) => decoder.start(track, control));
  } finally {
    await decoder.stop();
  }
}

/** One ffmpeg process fed with the access units of one RTSP session. */
class FfmpegDecoder {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private exited: Promise<void> = Promise.resolve();
  private alive = false;
  private readonly out: Buffer[] = [];
  private outSize = 0;
  private stderrTail = '';

  constructor(
    private readonly ffmpegPath: string,
    private readonly where: string,
    private readonly onSpawn: ((pid: number) => void) | undefined,
  ) {}

  /** Starts ffmpeg for the chosen track; returns what takes the track's RTP packets. */
  start(track: RtspTrack, control: PlayControl<RtspSnapshot>): (packet: RtpPacket) => void {
    const depacketizer = new H264Depacketizer();
    const collector = new IdrCollector(parseSpropParameterSets(track.fmtp));
    let child: ChildProcessByStdio<Writable, Readable, Readable>;
    try {
      child = spawn(this.ffmpegPath, FFMPEG_ARGS, { stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
    } catch (e) {
      control.fail(this.notStarted(e));
      return () => undefined;
    }
    this.child = child;
    this.alive = child.pid !== undefined;
    if (child.pid !== undefined) this.onSpawn?.(child.pid);
    this.exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let spawnError: unknown;
    child.once('error', (e) => {
      // A spawn failure ('close' follows), or a failed kill: either way no picture from this one.
      spawnError = e;
      control.fail(this.alive ? this.noPicture(String((e as NodeJS.ErrnoException).code ?? e.message)) : this.notStarted(e));
    });
    child.once('exit', () => {
      this.alive = false;
    });
    // EPIPE when ffmpeg is gone before its input ends: its exit says what happened.
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.outSize > MAX_JPEG) return;
      this.out.push(chunk);
      this.outSize += chunk.length;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP);
    });
    child.once('close', (code, sig) => {
      this.alive = false;
      if (spawnError !== undefined) return;
      const jpeg = Buffer.concat(this.out, this.outSize);
      if (code === 0 && isWholeJpeg(jpeg)) {
        control.done({ jpeg, ...(jfifSize(jpeg) ?? {}) });
        return;
      }
      control.fail(this.noPicture(this.lastStderrLine() ?? (sig !== null ? `killed by ${sig}` : `exit code ${String(code)}, ${jpeg.length} bytes`)));
    });
    return (packet) => {
      if (!this.alive || child.stdin.destroyed) return;
      for (const unit of depacketizer.push(packet)) {
        const bytes = collector.push(unit);
        if (bytes !== undefined) child.stdin.write(bytes);
      }
    };
  }

  /** Kills ffmpeg when it still runs and waits (bounded) until it is reaped. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (this.alive) {
      child.stdin.destroy();
      child.kill('SIGKILL');
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, REAP_MS)))]);
    clearTimeout(timer);
  }

  private lastStderrLine(): string | undefined {
    const line = this.stderrTail
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .pop();
    return line === undefined ? undefined : line.length > STDERR_LINE ? `${line.slice(0, STDERR_LINE)}…` : line;
  }

  private notStarted(e: unknown): TapoError {
    const detail = (e as NodeJS.ErrnoException | undefined)?.code ?? String(e);
    return new TapoError('Unsupported', 'ffmpegNotStarted', { params: { path: this.ffmpegPath, detail }, hint: 'installFfmpeg', cause: e });
  }

  private noPicture(detail: string): TapoError {
    return new TapoError('Device', 'ffmpegNoPicture', { params: { where: this.where, detail } });
  }
}
