/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge).
 *
 * Node's `http2.createServer` does not fall back to HTTP/1.1 on a cleartext socket, so a
 * plain `net.Server` accepts connections and looks at the first bytes: an HTTP/2 client
 * starts with the connection preface `PRI * HTTP/2.0`, which no HTTP/1.x request line
 * can. The socket is then handed, bytes untouched, to the matching Node server.
 *
 * Slow and silent clients (behaviour.md §1), so that they cannot hold file descriptors:
 * - Every connection must send complete request headers within `headersTimeoutMs` of
 *   being accepted, the sniffing included (a connection that never sends a byte too). On
 *   HTTP/1.1 it then gets `408` and is closed, on HTTP/2 (no stream yet) GOAWAY. Later
 *   requests on an HTTP/1.1 keep-alive connection are held to the same bound by Node's
 *   own `headersTimeout`, counted from their first byte.
 * - An idle HTTP/1.1 keep-alive connection is told `Keep-Alive: timeout=<keepAliveTimeoutMs>`
 *   and closed by Node a second after that, so that a client honouring the header never
 *   sends into a closing socket. An HTTP/2 session with no open stream for
 *   `http2IdleTimeoutMs` gets GOAWAY. Only streams count, not bytes (no
 *   `session.setTimeout`): an open stream, a runner's WatchRequests, is never idle.
 * - Request bodies are held to the request's deadline by the front door, which knows it.
 *   Node's `requestTimeout` here is the backstop for an HTTP/1.1 body nobody reads.
 *
 * Shutdown (close): stop accepting; HTTP/1.1 responses not begun yet say `Connection:
 * close` and their connection closes after them, idle keep-alive connections close now;
 * HTTP/2 sessions get GOAWAY and their open streams finish. After `graceMs` whatever is
 * left is destroyed.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { RequestHandler } from "./front-door.js";

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** What Node's HTTP/1.1 server writes when its own headers or request timeout expires. */
const requestTimeoutResponse = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";

export interface ListenerOptions {
  /** How long a connection may take to send complete request headers. */
  headersTimeoutMs: number;
  /** How long an HTTP/1.1 connection stays open between requests, as advertised (Node adds 1 s). */
  keepAliveTimeoutMs: number;
  /** How long an HTTP/2 session stays open without an open stream. */
  http2IdleTimeoutMs: number;
  /** The unary deadline; the front door holds request bodies to it. */
  requestTimeoutMs: number;
}

/** One accepted TCP connection. */
interface Connection {
  /** Pending until the first complete request headers (HTTP/1.1) or first stream (HTTP/2). */
  headersTimer: NodeJS.Timeout | undefined;
  session: http2.ServerHttp2Session | undefined;
}

export interface Listener {
  listen(port: number, host: string): Promise<net.AddressInfo>;
  /** Graceful, bounded by `graceMs` (see the module comment). */
  close(graceMs: number): Promise<void>;
}

export function createListener(getHandler: () => RequestHandler, options: ListenerOptions): Listener {
  const h1 = http.createServer({
    keepAliveTimeout: options.keepAliveTimeoutMs,
    headersTimeout: options.headersTimeoutMs,
    // Later than any deadline the front door enforces (the headers took at most
    // headersTimeoutMs), so this only ends bodies nobody reads, e.g. after a 404.
    requestTimeout: options.requestTimeoutMs + options.headersTimeoutMs,
    // How often Node checks the two timeouts above: a tenth of the headers timeout, so a
    // connection is closed at most 10% late.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.round(options.headersTimeoutMs / 10))),
  });
  const h2 = http2.createServer({}, (req, res) => getHandler()(req, res));
  const connections = new Map<net.Socket, Connection>();
  const h1InFlight = new Set<http.ServerResponse>();
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  let closing = false;

  // Node's HTTP/1.1 server keeps the list of its connections and enforces headersTimeout
  // and requestTimeout from an interval it starts on 'listening', which only listen()
  // emits. This server never listens (sockets come through emit("connection")), so it is
  // told it does: without this, those timeouts never fire (the tests prove they do).
  h1.emit("listening");

  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    headersArrived(req.socket);
    // While shutting down, no response promises to keep its connection open.
    if (closing) res.shouldKeepAlive = false;
    h1InFlight.add(res);
    res.once("close", () => {
      h1InFlight.delete(res);
      // A response that began before close() said keep-alive: its connection goes now
      // that it is idle (one where the next request has begun is served, then closed).
      if (closing) h1.closeIdleConnections();
    });
    getHandler()(req, res);
  });

  function headersArrived(socket: net.Socket): void {
    const connection = connections.get(socket);
    if (connection?.headersTimer === undefined) return;
    clearTimeout(connection.headersTimer);
    connection.headersTimer = undefined;
  }

  /** The first request headers did not arrive in time: GOAWAY on HTTP/2, else 408; then close. */
  function headersTimedOut(socket: net.Socket, connection: Connection): void {
    connection.headersTimer = undefined;
    // close() is GOAWAY: no new streams, and the session ends once its open ones are done.
    if (connection.session) connection.session.close();
    // What Node's HTTP/1.1 server does, here also for a connection that sent nothing.
    else socket.end(requestTimeoutResponse, () => socket.destroy());
  }

  function adoptH2(socket: net.Socket, connection: Connection): void {
    const adopt = (session: http2.ServerHttp2Session) => {
      connection.session = session;
    };
    // The HTTP/2 server creates the session and emits 'session' synchronously.
    h2.once("session", adopt);
    h2.emit("connection", socket);
    h2.off("session", adopt);
    const session = connection.session;
    if (!session) return;
    h2Sessions.add(session);
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      headersArrived(socket);
      open++;
      stream.once("close", () => {
        if (--open > 0 || closing) return;
        // Refreshed, not replaced, at every idle moment; it acts only if still idle then.
        if (idle) idle.refresh();
        else idle = setTimeout(() => open === 0 && session.close(), options.http2IdleTimeoutMs).unref();
      });
    });
    session.once("close", () => {
      h2Sessions.delete(session);
      clearTimeout(idle);
    });
    // A session that began during shutdown: its first requests are served, then GOAWAY.
    if (closing) session.once("stream", () => session.close());
  }

  // No Nagle delay, as Node's own HTTP servers set it (HTTP/2 sessions set it themselves): a
  // small write (a stream's message, a response's last chunk) goes out at once instead of
  // waiting for the peer to acknowledge the one before, which a delayed ACK holds back.
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    const connection: Connection = { headersTimer: undefined, session: undefined };
    connection.headersTimer = setTimeout(() => headersTimedOut(socket, connection), options.headersTimeoutMs);
    connections.set(socket, connection);
    socket.once("close", () => {
      clearTimeout(connection.headersTimer);
      connections.delete(socket);
    });
    sniff(socket, (isH2) => {
      if (isH2) {
        // The HTTP/2 session takes over the socket and reads the bytes we put back.
        adoptH2(socket, connection);
      } else {
        h1.emit("connection", socket);
        // The HTTP/1 parser listens for data events; let the put-back bytes flow.
        socket.resume();
      }
    });
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(port, host, () => {
          tcp.off("error", reject);
          resolve(tcp.address() as net.AddressInfo);
        });
      });
    },
    async close(graceMs) {
      closing = true;
      const stopped = new Promise<void>((resolve) => tcp.close(() => resolve()));
      // Requests already in flight whose response has not begun: `Connection: close`.
      for (const res of h1InFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      h1.closeIdleConnections();
      for (const session of h2Sessions) session.close();
      const timer = setTimeout(() => {
        for (const socket of connections.keys()) socket.destroy();
      }, graceMs);
      await stopped;
      clearTimeout(timer);
      // Stops Node's timeout checks; every connection is gone by now.
      h1.close();
    },
  };
}

/** Reads until the first bytes decide the protocol, then puts them back. */
function sniff(socket: net.Socket, decide: (isH2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, h2Preface.length);
    const matchesSoFar = seen.subarray(0, n).equals(h2Preface.subarray(0, n));
    if (matchesSoFar && n < h2Preface.length) return; // need more bytes to be sure
    socket.off("data", onData);
    socket.pause();
    socket.unshift(seen);
    decide(matchesSoFar);
  };
  socket.on("data", onData);
  socket.once("error", () => socket.destroy());
}
