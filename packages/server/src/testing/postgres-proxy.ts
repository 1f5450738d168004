/**
 * A TCP proxy in front of a test database, for the driver's tests (db/postgres-driver*.test.ts):
 * what a pool does when its connections are reset, or when a request is held on its way.
 */
import net from "node:net";

export interface PostgresProxy {
  /** The database's URL through the proxy. */
  url: string;
  /**
   * Resets every client connection (a TCP RST), as a crashing Postgres or a broken network
   * does: the driver sees ECONNRESET, a socket error, where pg_terminate_backend() gives it
   * an orderly close.
   */
  reset(): void;
  close(): Promise<void>;
}

export interface PostgresProxyOptions {
  /**
   * Sees the first 8 bytes (or more) a client connection sends, which name what it is (a
   * startup, SSL or cancel request), and calls `pass` when they may go on; by default at once.
   */
  first?: (bytes: Buffer, pass: () => void) => void;
}

export async function startPostgresProxy(
  databaseUrl: string,
  options: PostgresProxyOptions = {},
): Promise<PostgresProxy> {
  const target = new URL(databaseUrl);
  const clients = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    clients.add(client);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        clients.delete(socket);
      });
    }
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("data", (chunk) => client.write(chunk));
    let first: Buffer | null = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      if (first === null) {
        upstream.write(chunk);
        return;
      }
      first = Buffer.concat([first, chunk]);
      if (first.length < 8) return;
      const bytes = first;
      first = null;
      const pass = () => upstream.write(bytes);
      if (options.first) options.first(bytes, pass);
      else pass();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    reset: () => {
      for (const client of clients) client.resetAndDestroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
