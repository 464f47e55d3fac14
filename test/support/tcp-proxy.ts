import { type Server, type Socket, connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";

/** A TCP proxy on loopback that can be cut (an outage: listener closed, every connection dropped) and opened again on the same port. */
export interface TcpProxy {
  port: number;
  /** Stops listening and destroys every proxied connection. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy from 127.0.0.1:(free port) to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const serve = (): Server =>
    createServer((client) => {
      const upstream = connect(port, host);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
  let server: Server | null = serve();
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const proxyPort = (server.address() as AddressInfo).port;
  const cut = async () => {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    port: proxyPort,
    cut,
    async restore() {
      if (server) return;
      const next = serve();
      await new Promise<void>((resolve, reject) => {
        next.once("error", reject);
        next.listen(proxyPort, "127.0.0.1", () => resolve());
      });
      server = next;
    },
    close: cut,
  };
}
