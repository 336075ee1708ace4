/**
 * H.264 for the simulated `stream1` (1280×720) and `stream2` (640×360) (media.md §2.1), made by an
 * ffmpeg found on the simulator host's PATH: the counter picture of media/jpeg.ts is fed to
 * `ffmpeg … -c:v libx264 -preset ultrafast -tune zerolatency -threads 1 -g 5 -bf 0 -f h264 pipe:1`
 * at 5 fps, and the Annex B bytes it writes are cut into NAL units and access units here. x264
 * writes one slice per frame (one thread) and repeats SPS and PPS before every IDR (raw output has
 * no global header), an IDR every 5 frames (1 s).
 *
 * Every process spawned is reported through `track` so the RTSP server can count and kill them.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

/** Pictures per second fed to the encoder. */
export const H264_FPS = 5;

/** The H.264 streams and their size. */
export const H264_STREAMS = {
  stream1: { width: 1280, height: 720 },
  stream2: { width: 640, height: 360 },
} as const;

/** `stream1` or `stream2`. */
export type H264Stream = keyof typeof H264_STREAMS;

/** NAL unit types used here (ITU H.264 Table 7-1). */
export const NAL = { slice: 1, idr: 5, sei: 6, sps: 7, pps: 8, aud: 9 } as const;

/** The first executable file named `ffmpeg` in the directories of `pathList` (PATH), or undefined. */
export function findFfmpeg(pathList: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathList.split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The encoder's command line for a `width`×`height` stream. */
export function encoderArgs(width: number, height: number): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // Start at the first picture instead of probing seconds of input.
    '-probesize', '32', '-analyzeduration', '0',
    '-f', 'image2pipe', '-framerate', String(H264_FPS), '-c:v', 'mjpeg', '-i', 'pipe:0',
    '-vf', `scale=${width}:${height},format=yuv420p`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1', '-g', String(H264_FPS), '-bf', '0',
    '-flush_packets', '1', '-f', 'h264', 'pipe:1',
  ];
}

const START_CODE = Buffer.from([0, 0, 1]);

/** Cuts an Annex B byte stream (ITU H.264 Annex B) into NAL units as it arrives. */
export class AnnexBReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** The NAL units completed by `chunk` (a unit is complete once the next start code is seen). */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const units: Buffer[] = [];
    let at = this.buffer.indexOf(START_CODE);
    if (at < 0) return units;
    let start = at + 3;
    for (;;) {
      at = this.buffer.indexOf(START_CODE, start);
      if (at < 0) break;
      let end = at;
      while (end > start && this.buffer[end - 1] === 0) end--; // zero byte of a 4-byte start code, trailing zeros
      if (end > start) units.push(Buffer.from(this.buffer.subarray(start, end)));
      start = at + 3;
    }
    this.buffer = this.buffer.subarray(start - 3);
    return units;
  }

  /** The last NAL unit, at the end of the stream. */
  flush(): Buffer[] {
    const rest = this.buffer.subarray(3);
    this.buffer = Buffer.alloc(0);
    let end = rest.length;
    while (end > 0 && rest[end - 1] === 0) end--;
    return end > 0 ? [Buffer.from(rest.subarray(0, end))] : [];
  }
}

/** One coded picture: its NAL units (SPS, PPS, SEI before an IDR), in order. */
export interface AccessUnit {
  nals: Buffer[];
  /** True when the picture is an IDR (its SPS and PPS come first). */
  idr: boolean;
  /** Pictures coded before this one by the same encoder (for the RTP timestamp). */
  index: number;
}

/** Groups NAL units into access units: one slice per picture, so each VCL unit closes one. */
export class AccessUnitAssembler {
  private pending: Buffer[] = [];
  private count = 0;

  /** The access unit `nal` completes, if any. */
  push(nal: Buffer): AccessUnit | undefined {
    this.pending.push(nal);
    const type = (nal[0] as number) & 0x1f;
    if (type !== NAL.slice && type !== NAL.idr) return undefined;
    const au = { nals: this.pending, idr: type === NAL.idr, index: this.count++ };
    this.pending = [];
    return au;
  }
}

/** SPS and PPS of a stream (NAL units without start codes). */
export interface ParameterSets {
  sps: Buffer;
  pps: Buffer;
}

/** What the spawner reports: every process, so its owner can count and kill it. */
export type TrackProcess = (child: ChildProcess) => void;

function spawnEncoder(ffmpeg: string, stream: H264Stream, track: TrackProcess): ChildProcess {
  const { width, height } = H264_STREAMS[stream];
  const child = spawn(ffmpeg, encoderArgs(width, height), { stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  track(child);
  return child;
}

/**
 * Encodes one picture and reads the SPS and PPS x264 writes before it (the process ends by
 * itself when its input ends). Rejects when ffmpeg fails or writes none in `timeoutMs`.
 */
export function probeParameterSets(ffmpeg: string, stream: H264Stream, picture: Buffer, track: TrackProcess, timeoutMs = 10_000): Promise<ParameterSets> {
  return new Promise((resolve, reject) => {
    const child = spawnEncoder(ffmpeg, stream, track);
    const reader = new AnnexBReader();
    const units: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => units.push(...reader.push(chunk)));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', () => {
      clearTimeout(timer);
      units.push(...reader.flush());
      const sps = units.find((u) => ((u[0] as number) & 0x1f) === NAL.sps);
      const pps = units.find((u) => ((u[0] as number) & 0x1f) === NAL.pps);
      if (sps === undefined || pps === undefined) reject(new Error(`ffmpeg wrote no SPS/PPS for ${stream}`));
      else resolve({ sps, pps });
    });
    child.stdin?.end(picture);
  });
}

/**
 * A live encoder: feeds `picture()` at {@link H264_FPS} and emits `accessUnit` (an
 * {@link AccessUnit}) for each coded picture, `parameterSets` when it meets an SPS and PPS, and
 * `exit` once the process is gone. `stop()` ends its input and kills it (SIGKILL).
 */
export class LiveH264Encoder extends EventEmitter {
  private readonly child: ChildProcess;
  private readonly timer: NodeJS.Timeout;
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  /** Spawns ffmpeg for `stream` and starts feeding it. */
  constructor(ffmpeg: string, readonly stream: H264Stream, picture: () => Buffer, track: TrackProcess) {
    super();
    this.child = spawnEncoder(ffmpeg, stream, track);
    this.exitedPromise = new Promise((resolve) => {
      const done = (): void => {
        if (this.exited) return;
        this.exited = true;
        clearInterval(this.timer);
        this.emit('exit');
        resolve();
      };
      this.child.once('exit', done);
      this.child.once('error', done);
    });
    const reader = new AnnexBReader();
    const assembler = new AccessUnitAssembler();
    let sps: Buffer | undefined;
    this.child.stdout?.on('data', (chunk: Buffer) => {
      for (const nal of reader.push(chunk)) {
        const type = (nal[0] as number) & 0x1f;
        if (type === NAL.sps) sps = nal;
        if (type === NAL.pps && sps !== undefined) this.emit('parameterSets', { sps, pps: nal } satisfies ParameterSets);
        const au = assembler.push(nal);
        if (au !== undefined) this.emit('accessUnit', au);
      }
    });
    const feed = (): void => {
      const stdin = this.child.stdin;
      if (this.exited || stdin === null || stdin.destroyed || stdin.writableNeedDrain) return;
      stdin.write(picture());
    };
    this.timer = setInterval(feed, 1000 / H264_FPS);
    feed();
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return !this.exited;
  }

  /** Ends the input, kills the process (SIGKILL) and resolves once it has exited. */
  stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.exited) {
      this.child.stdin?.end();
      this.child.kill('SIGKILL');
    }
    return this.exitedPromise;
  }
}

/** RTP packets' payloads for one access unit (RFC 6184 packetization-mode 1): single NAL units up to `max` bytes, FU-A fragments beyond. */
export function h264Payloads(nals: readonly Buffer[], max: number): Buffer[] {
  const payloads: Buffer[] = [];
  for (const nal of nals) {
    if (nal.length <= max) {
      payloads.push(nal);
      continue;
    }
    const header = nal[0] as number;
    const indicator = (header & 0xe0) | 28; // F and NRI of the unit, type 28 = FU-A
    const body = nal.subarray(1);
    for (let offset = 0; offset < body.length; offset += max - 2) {
      const part = body.subarray(offset, offset + max - 2);
      const start = offset === 0 ? 0x80 : 0;
      const end = offset + part.length >= body.length ? 0x40 : 0;
      payloads.push(Buffer.concat([Buffer.from([indicator, start | end | (header & 0x1f)]), part]));
    }
  }
  return payloads;
}
