/**
 * Doorbell rings (events.md §4): when the button of a Tapo doorbell is pressed, a UDP datagram
 * arrives on port 20005 of the hosts on its network; nobody parses its payload. One socket per
 * port serves every doorbell of the process (only one binder per port, address reuse on), and a
 * datagram goes to the doorbells whose address it came from; one from another address (a
 * hub-paired doorbell rings from the hub's address, ioBroker.tapo 0.6.7) goes to every doorbell
 * that is not standalone-matched. A port already taken by another program is reported once and
 * the rings of that port are off (HomeAssistant-Tapo-Control and ioBroker.tapo do the same).
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TapoError } from '../protocol/errors';
import { hostOf } from './connection';

/** The port doorbells ring on (events.md §4.1). */
export const DOORBELL_RING_PORT = 20005;

/** A registered doorbell. */
interface RingListener {
  /** The doorbell's host as configured (an address or a name). */
  host: string;
  /** Its address once resolved. */
  address: string | undefined;
  ring(from: string): void;
  failed(error: TapoError): void;
}

/** One bound port and its doorbells. */
interface PortEntry {
  socket: dgram.Socket;
  listeners: Set<RingListener>;
  error: TapoError | undefined;
}

const ports = new Map<number, PortEntry>();

/** The address of a configured host (`host` or `host:port`), resolved once; undefined when it does not resolve. */
async function resolve(host: string): Promise<string | undefined> {
  const bare = hostOf(host);
  if (isIP(bare)) return bare;
  try {
    return (await lookup(bare)).address;
  } catch {
    return undefined;
  }
}

function entryFor(port: number): PortEntry {
  let entry = ports.get(port);
  if (entry) return entry;
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const created: PortEntry = { socket, listeners: new Set(), error: undefined };
  socket.on('message', (_data, rinfo) => {
    const all = [...created.listeners];
    const own = all.filter((l) => l.address === rinfo.address);
    for (const l of own.length > 0 ? own : all) l.ring(rinfo.address);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    created.error = new TapoError('Transport', 'ringPortTaken', { params: { port, detail: err.code ?? err.message }, hint: 'ringPortHint', sent: false });
    for (const l of created.listeners) l.failed(created.error);
    socket.close();
    ports.delete(port);
  });
  socket.bind(port);
  ports.set(port, created);
  return created;
}

/**
 * Listens for the rings of the doorbell at `host` on `port` (default 20005). Returns the function
 * that stops listening; the socket closes with its last doorbell.
 */
export function listenForRings(host: string, port: number, onRing: (from: string) => void, onError: (error: TapoError) => void): () => void {
  const entry = entryFor(port);
  const listener: RingListener = { host, address: undefined, ring: onRing, failed: onError };
  entry.listeners.add(listener);
  void resolve(host).then((address) => {
    listener.address = address;
  });
  if (entry.error) onError(entry.error);
  return () => {
    entry.listeners.delete(listener);
    if (entry.listeners.size === 0 && ports.get(port) === entry) {
      ports.delete(port);
      try {
        entry.socket.close();
      } catch {
        // Already closed after an error.
      }
    }
  };
}
