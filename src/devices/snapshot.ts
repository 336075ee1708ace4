/**
 * Pictures and stream addresses of a camera (../shared/protocol/media.md): a camera has no control
 * method that returns image bytes, so a still comes from a stream.
 *
 * Routes, in the order media.md §7 gives:
 * 1. RTSP `stream8` (MJPEG): one JPEG straight out of RTP/JPEG, no decoder (src/protocol/rtsp.ts).
 * 2. Where `stream8` is missing (404, or no JPEG track): one frame of `stream2` (then `stream1`)
 *    decoded by ffmpeg when it is installed on the host (src/protocol/ffmpeg.ts: our RTSP client
 *    fetches the H.264, ffmpeg only decodes, so the camera account never reaches a command line).
 *    Without ffmpeg: an `Unsupported` error that names the package to install.
 * The port-8800 media channel (media.md §5) is not a route: its facts come from one write-up on
 * one camera model.
 *
 * One deadline covers the whole snapshot, whichever routes it takes. What is learnt (that a camera
 * has no `stream8`) is kept by the caller in {@link MediaFacts} so no later snapshot asks again.
 */
import type { Credentials } from '../protocol/types';
import { TapoError } from '../protocol/errors';
import { findFfmpeg, snapshotH264 } from '../protocol/ffmpeg';
import { snapshot as mjpegSnapshot } from '../protocol/rtsp';

/** The RTSP streams of a Tapo camera (media.md §2.1). */
export type StreamName = 'stream1' | 'stream2' | 'stream8';

/** Which stream a snapshot is taken from: `auto` = `stream8`, else `stream2`/`stream1` through ffmpeg. */
export type SnapshotSource = 'auto' | StreamName;

/** The sources a user may name. */
export const SNAPSHOT_SOURCES: readonly SnapshotSource[] = ['auto', 'stream8', 'stream2', 'stream1'];

/** The camera's RTSP port unless configured (media.md §2.1). */
export const DEFAULT_RTSP_PORT = 554;

/** One picture. */
export interface Snapshot {
  /** One whole JPEG (FF D8 … FF D9). */
  jpeg: Buffer;
  width?: number;
  height?: number;
  /** The stream it came from. */
  stream: StreamName;
  /** `rtsp` when it came whole from `stream8`, `ffmpeg` when ffmpeg decoded it. */
  via: 'rtsp' | 'ffmpeg';
}

/** What is learnt about a camera's streams, kept by the device's owner. */
export interface MediaFacts {
  /** False once `stream8` answered 404 or had no JPEG track; true once it gave a picture. */
  stream8?: boolean;
}

/** Where a camera's RTSP server is. */
export interface StreamTarget {
  /** Host name or address (no port). */
  host: string;
  /** RTSP port (default {@link DEFAULT_RTSP_PORT}). */
  port?: number;
  /** The camera account (Tapo app: Advanced settings > Camera Account). */
  account?: Credentials;
}

/** Options of {@link takeSnapshot}. */
export interface TakeSnapshotOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Where to look for ffmpeg (default: the `PATH` of this process). */
  searchPath?: string;
}

/** The stream addresses of a camera; with the camera account in them only when `withAccount`. */
export function streamUrls(target: StreamTarget, withAccount = false): Record<StreamName, string> {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const port = target.port ?? DEFAULT_RTSP_PORT;
  const account = withAccount && target.account !== undefined ? `${encodeURIComponent(target.account.username)}:${encodeURIComponent(target.account.password)}@` : '';
  const url = (stream: StreamName): string => `rtsp://${account}${host}:${port}/${stream}`;
  return { stream1: url('stream1'), stream2: url('stream2'), stream8: url('stream8') };
}

/** Reads a snapshot source from user input (`undefined` or '' = auto); an `Input` error otherwise. */
export function parseSnapshotSource(value: unknown): SnapshotSource {
  if (value === undefined || value === null || value === '') return 'auto';
  if (typeof value === 'string' && (SNAPSHOT_SOURCES as readonly string[]).includes(value)) return value as SnapshotSource;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 24)) : typeof value;
  throw new TapoError('Input', 'snapshotBadStream', { params: { value: shown, allowed: SNAPSHOT_SOURCES.join(', ') }, sent: false });
}

/**
 * Takes one picture from the camera at `target`, by `source` (see {@link SnapshotSource}),
 * within `options.timeoutMs`. Learns into `facts` whether `stream8` exists.
 */
export async function takeSnapshot(target: StreamTarget, source: SnapshotSource, facts: MediaFacts, options: TakeSnapshotOptions): Promise<Snapshot> {
  const account = target.account;
  if (account === undefined || account.username === '') {
    throw new TapoError('Input', 'snapshotNoCameraAccount', { hint: 'setCameraAccount', sent: false });
  }
  const urls = streamUrls(target);
  const deadline = Date.now() + options.timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const common = (): { username: string; password: string; timeoutMs: number; signal?: AbortSignal } => ({
    username: account.username,
    password: account.password,
    timeoutMs: left(),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });

  if (source === 'stream8' || (source === 'auto' && facts.stream8 !== false)) {
    try {
      const shot = await mjpegSnapshot(urls.stream8, common());
      facts.stream8 = true;
      return { ...shot, stream: 'stream8', via: 'rtsp' };
    } catch (e) {
      // 404 or no JPEG track: this camera has no MJPEG stream. Anything else is the answer.
      if (!(e instanceof TapoError) || e.kind !== 'Unsupported' || source === 'stream8') throw e;
      facts.stream8 = false;
    }
  }

  const streams: StreamName[] = source === 'auto' ? ['stream2', 'stream1'] : [source];
  const ffmpegPath = findFfmpeg(options.searchPath !== undefined ? { path: options.searchPath } : {});
  if (ffmpegPath === undefined) {
    throw new TapoError('Unsupported', 'snapshotNeedsFfmpeg', { params: { stream: streams[0] ?? 'stream2' }, hint: 'installFfmpeg', sent: false });
  }
  let last: unknown;
  for (const stream of streams) {
    try {
      const shot = await snapshotH264(urls[stream], { ...common(), ffmpegPath });
      return { ...shot, stream, via: 'ffmpeg' };
    } catch (e) {
      last = e;
      // Only a missing stream lets the next one be tried.
      if (!(e instanceof TapoError) || e.kind !== 'Unsupported' || e.reason === 'ffmpegNotStarted') throw e;
    }
  }
  throw last;
}

/** What `tapo-camera-get` may be asked besides settings. */
export type MediaAsk = 'snapshot' | 'rtsp';

/**
 * Reads `snapshot` or `rtsp` from a message payload (a string, or a one-item array), undefined
 * when the payload names settings; an `Input` error when either is mixed with settings.
 */
export function parseMediaAsk(payload: unknown): MediaAsk | undefined {
  const items = typeof payload === 'string' ? payload.split(',') : Array.isArray(payload) ? payload : [];
  const words = items.map((i) => (typeof i === 'string' ? i.trim().toLowerCase() : '')).filter((w) => w !== '');
  const asks = words.filter((w): w is MediaAsk => w === 'snapshot' || w === 'rtsp');
  if (asks.length === 0) return undefined;
  if (words.length > 1) throw new TapoError('Input', 'mediaAskAlone', { params: { ask: asks[0] ?? 'snapshot' }, sent: false });
  return asks[0];
}
