/**
 * Binds a simulated device's server (control API, ONVIF …) and resolves with the port it got (the
 * one asked for, or a free one for 0); a bind failure rejects with the server closed.
 */
import type { Server } from 'node:net';

/** Listens on `host`:`port` and resolves with the bound port. */
export function bindListener(listener: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      listener.close();
      reject(err);
    };
    listener.once('error', onError);
    listener.listen({ host, port }, () => {
      listener.off('error', onError);
      const address = listener.address();
      resolve(address !== null && typeof address === 'object' ? address.port : port);
    });
  });
}
