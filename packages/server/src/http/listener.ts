/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge).
 *
 * Node's `http2.createServer` does not fall back to HTTP/1.1 on a cleartext socket, so a
 * plain `net.Server` accepts connections and looks at the first bytes: an HTTP/2 client
 * starts with the connection preface `PRI * HTTP/2.0`, which no HTTP/1.x request line
 * can. The socket is then handed, bytes untouched, to the matching Node server.
 *
 * Shutdown: stop accepting, let in-flight requests finish (HTTP/1.1 connections close
 * after their current response, HTTP/2 sessions get GOAWAY), and after `graceMs` destroy
 * whatever is left.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { RequestHandler } from "./front-door.js";

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface Listener {
  listen(port: number, host: string): Promise<net.AddressInfo>;
  /** True once close() was called. */
  readonly closing: boolean;
  close(graceMs: number): Promise<void>;
}

export function createListener(getHandler: () => RequestHandler): Listener {
  const handle: RequestHandler = (req, res) => getHandler()(req, res);
  const h1 = http.createServer({ keepAliveTimeout: 5_000 }, handle);
  const h2 = http2.createServer({}, handle);
  const sockets = new Set<net.Socket>();
  const h1Active = new Map<net.Socket, number>();
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  let closing = false;

  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    h1Active.set(socket, (h1Active.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (h1Active.get(socket) ?? 1) - 1;
      if (left > 0) h1Active.set(socket, left);
      else h1Active.delete(socket);
      if (closing && left <= 0) socket.end();
    });
  });
  h2.on("session", (session: http2.ServerHttp2Session) => {
    h2Sessions.add(session);
    session.once("close", () => h2Sessions.delete(session));
    if (closing) session.close();
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    sniff(socket, (isH2) => {
      if (isH2) {
        // The HTTP/2 session takes over the socket and reads the bytes we put back.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        // The HTTP/1 parser listens for data events; let the put-back bytes flow.
        socket.resume();
      }
    });
  });

  return {
    get closing() {
      return closing;
    },
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
      for (const session of h2Sessions) session.close();
      for (const socket of sockets) {
        // Idle HTTP/1.1 keep-alive connections go now; busy ones after their response.
        if (!h1Active.has(socket) && !isH2Socket(socket, h2Sessions)) socket.end();
      }
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await stopped;
      clearTimeout(timer);
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

function isH2Socket(socket: net.Socket, sessions: Set<http2.ServerHttp2Session>): boolean {
  for (const s of sessions) if (s.socket === socket) return true;
  return false;
}
