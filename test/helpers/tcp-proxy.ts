import { connect, createServer, type Server, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** A TCP relay to a server, that a test can take down (refusing connections) and bring back. */
export interface TcpProxy {
  port: number;
  /** Closes the listener and cuts every relayed connection: new ones are refused. */
  down(): void;
  /** Listens again on the same port. */
  up(): Promise<void>;
}

/** A relay on 127.0.0.1 to `targetPort`, closed when the current test ends. */
export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => undefined);
      }
      client.pipe(upstream).on('error', () => undefined);
      upstream.pipe(client).on('error', () => undefined);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const down = (): void => {
    server?.close();
    server = undefined;
    for (const sock of sockets) sock.destroy();
  };
  await listen();
  onTestFinished(down);
  return { port, down, up: listen };
}
