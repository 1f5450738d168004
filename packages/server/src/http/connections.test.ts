/**
 * Connections over the real server (behaviour.md §1 "Slow and silent clients", §10
 * shutdown; docs/decisions.md "One port for HTTP/1.1 and h2c"): slow and silent clients
 * are closed within their bound while others are served, idle connections close, a
 * runner's silent WatchRequests stream is never cut, and shutdown never resets a
 * keep-alive client. Raw sockets (node:net) and node:http2 sessions, so every byte the
 * server sends and how it closes can be seen. The timeouts are a few hundred ms here.
 */
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { RunnerInteractionService, type WatchRequestsResponse } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSql, type Sql } from "../db/index.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  bearer,
  createTestDatabase,
  createTestRunner,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from "../testing/index.js";

const headersTimeoutMs = 300;
const keepAliveTimeoutMs = 300;
const http2IdleTimeoutMs = 500;
/** The unary deadline, which request bodies are held to. */
const requestTimeoutMs = 600;
/**
 * Node closes an idle keep-alive connection this long after the `Keep-Alive: timeout=…` it
 * advertises, so that a client honouring the header never sends into a closing socket.
 */
const nodeKeepAliveBufferMs = 1_000;
/** How late a timeout may act on a loaded test machine. */
const lateMs = 1_000;

let db: TestDatabase;
let strictSql: Sql;
/** Default timeouts: sets up data and makes the calls a runner answers. */
let relaxed: TestServer;
/** The small timeouts above. */
let strict: TestServer;
let org: SeededOrganization;
let admin: Clients;

beforeAll(async () => {
  db = await createTestDatabase();
  // A pool of its own, as a second process would have: the relay crosses servers through Postgres.
  strictSql = createSql(db.url, { max: 5, applicationName: "runnerplane-test-strict" });
  relaxed = await startTestServer({ sql: db.sql });
  strict = await startTestServer({
    sql: strictSql,
    config: { headersTimeoutMs, keepAliveTimeoutMs, http2IdleTimeoutMs, requestTimeoutMs },
  });
  org = await seedOrganization(db.sql);
  admin = clientsFor(relaxed.baseUrl, org.admin.token);
});

afterAll(async () => {
  await strict?.close();
  await strictSql?.end({ timeout: 5 });
  await relaxed?.close();
  await db?.drop();
});

// ── a raw HTTP/1.1 connection ──────────────────────────────────────────────────────────

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface RawClosed {
  /** ms since the connection was opened */
  afterMs: number;
  /** The server reset the connection (ECONNRESET) instead of closing it. */
  reset: boolean;
}

class RawConnection {
  readonly openedAt = performance.now();
  readonly closed: Promise<RawClosed>;
  private data = "";
  private isClosed = false;
  private readonly changed = new EventTarget();

  private constructor(readonly socket: net.Socket) {
    let reset = false;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.data += chunk;
      this.changed.dispatchEvent(new Event("change"));
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") reset = true;
    });
    this.closed = once(socket, "close").then(() => {
      this.isClosed = true;
      this.changed.dispatchEvent(new Event("change"));
      return { afterMs: performance.now() - this.openedAt, reset };
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = net.connect(port, "127.0.0.1");
    await once(socket, "connect");
    return new RawConnection(socket);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Writes `text` a byte every `everyMs` until the connection closes. */
  trickle(text: string, everyMs: number): void {
    let i = 0;
    const timer = setInterval(() => {
      if (this.socket.destroyed || this.socket.writableEnded) return clearInterval(timer);
      this.socket.write(text[i++ % text.length] as string);
    }, everyMs);
    void this.closed.then(() => clearInterval(timer));
  }

  /** The next complete response (a body without Content-Length lasts until the close). */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.takeResponse();
      if (parsed) return parsed;
      if (this.isClosed) throw new Error(`connection closed before a complete response: ${JSON.stringify(this.data)}`);
      await once(this.changed, "change");
    }
  }

  private takeResponse(): RawResponse | undefined {
    const end = this.data.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const [statusLine = "", ...lines] = this.data.slice(0, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers["content-length"];
    const bodyStart = end + 4;
    let bodyEnd: number;
    if (length !== undefined) bodyEnd = bodyStart + Number(length);
    else if (this.isClosed) bodyEnd = this.data.length;
    else return undefined;
    if (this.data.length < bodyEnd) return undefined;
    const body = this.data.slice(bodyStart, bodyEnd);
    this.data = this.data.slice(bodyEnd);
    return { status: Number(statusLine.split(" ")[1]), headers, body };
  }
}

const getHealth = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

/** Headers of a Connect unary POST promising a body of `length` bytes. */
function postHeaders(contentType: string, length: number): string {
  return (
    "POST /gitpod.v1.RunnerService/GetRunner HTTP/1.1\r\nHost: test\r\n" +
    `Content-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`
  );
}

/**
 * A well-behaved keep-alive client on `server`, one request every 50 ms on one
 * connection, until `until` settles; resolves to the number of responses, all 200.
 */
async function servedMeanwhile(server: TestServer, until: Promise<unknown>): Promise<number> {
  const connection = await RawConnection.open(server.port);
  let done = false;
  void until.finally(() => {
    done = true;
  });
  let served = 0;
  while (!done) {
    connection.send(getHealth);
    const res = await connection.response();
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe("keep-alive");
    served++;
    await sleep(50);
  }
  connection.socket.destroy();
  return served;
}

function expectClosedAfter(closed: RawClosed | number, boundMs: number): void {
  const afterMs = typeof closed === "number" ? closed : closed.afterMs;
  // Not before: a little slack, as the client sees both moments later than the server.
  expect(afterMs).toBeGreaterThanOrEqual(boundMs * 0.8);
  expect(afterMs).toBeLessThan(boundMs + lateMs);
}

// ── slow and silent clients ────────────────────────────────────────────────────────────

describe("slow and silent clients", () => {
  it.each([
    ["never sends a byte", (_c: RawConnection) => {}],
    ["sends half its request headers", (c: RawConnection) => c.send("GET /healthz HTTP/1.1\r\nHost: test\r\n")],
    ["trickles its request headers a byte at a time", (c: RawConnection) => c.trickle(getHealth, 40)],
    ["sends only part of the HTTP/2 preface", (c: RawConnection) => c.send("PRI * HTTP/2.0\r\n")],
  ])(
    "closes a connection that %s after the headers timeout, with 408, while others are served",
    async (_name, behave) => {
      const slow = await RawConnection.open(strict.port);
      behave(slow);
      const served = servedMeanwhile(strict, slow.closed);
      const closed = await slow.closed;
      expectClosedAfter(closed, headersTimeoutMs);
      expect(closed.reset).toBe(false);
      expect((await slow.response()).status).toBe(408);
      expect(await served).toBeGreaterThan(0);
    },
  );

  it("holds the next request's headers on a keep-alive connection to the headers timeout", async () => {
    const connection = await RawConnection.open(strict.port);
    connection.send(getHealth);
    expect((await connection.response()).headers.connection).toBe("keep-alive");
    const nextBegan = performance.now();
    // Bytes more often than the keep-alive timeout: only the headers timeout can end this.
    connection.trickle(getHealth, keepAliveTimeoutMs / 3);
    const closed = await connection.closed;
    expectClosedAfter(performance.now() - nextBegan, headersTimeoutMs);
    expect(closed.reset).toBe(false);
    expect((await connection.response()).status).toBe(408);
  });

  it.each([
    ["JSON", "application/json", '{"runnerId":"6f1d2c3b-'],
    ["binary", "application/proto", "\n$6f1d2c3b"],
  ])(
    "answers a Connect %s body that misses the deadline with deadline_exceeded and closes the connection",
    async (_name, contentType, part) => {
      const slow = await RawConnection.open(strict.port);
      slow.send(postHeaders(contentType, 100) + part);
      const sentAt = performance.now();
      const served = servedMeanwhile(strict, slow.closed);
      const res = await slow.response();
      expectClosedAfter(performance.now() - sentAt, requestTimeoutMs);
      expect(res.status).toBe(504);
      expect(res.headers.connection).toBe("close");
      expect(JSON.parse(res.body)).toEqual({
        code: "deadline_exceeded",
        message: "the request body did not arrive before the deadline",
      });
      expect((await slow.closed).reset).toBe(false);
      expect(await served).toBeGreaterThan(0);
      await vi.waitFor(() => {
        const line = strict.logs.find((l) => l.request_id === res.headers["x-request-id"]);
        expect(line).toMatchObject({ code: "deadline_exceeded", status: 504 });
      });
    },
  );

  it("resets an HTTP/2 stream whose body misses the deadline, answering deadline_exceeded, and keeps the session", async () => {
    const session = http2.connect(strict.baseUrl);
    try {
      const stream = session.request(
        {
          ":method": "POST",
          ":path": "/gitpod.v1.RunnerService/GetRunner",
          "content-type": "application/grpc",
          te: "trailers",
        },
        { endStream: false },
      );
      // An envelope promising a 10-byte message that never comes.
      stream.write(Buffer.from([0, 0, 0, 0, 10]));
      const sentAt = performance.now();
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      expectClosedAfter(performance.now() - sentAt, requestTimeoutMs);
      expect(headers[":status"]).toBe(200);
      expect(headers["grpc-status"]).toBe("4");
      stream.resume();
      await once(stream, "close");
      expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      // The session stays: the next request on it is served.
      const next = session.request({ ":path": "/healthz" });
      next.resume();
      const [nextHeaders] = (await once(next, "response")) as [http2.IncomingHttpHeaders];
      expect(nextHeaders[":status"]).toBe(200);
      expect(session.closed).toBe(false);
    } finally {
      session.destroy();
    }
  });
});

// ── idle connections ───────────────────────────────────────────────────────────────────

describe("idle connections", () => {
  it("closes an idle HTTP/1.1 keep-alive connection a second after the keep-alive timeout it advertises, not before", async () => {
    const connection = await RawConnection.open(strict.port);
    // Busy for longer than the timeout: requests keep it open.
    for (let i = 0; i < 6; i++) {
      connection.send(getHealth);
      expect((await connection.response()).headers.connection).toBe("keep-alive");
      await sleep(keepAliveTimeoutMs / 3);
    }
    const idleSince = performance.now() - keepAliveTimeoutMs / 3;
    const closed = await connection.closed;
    expectClosedAfter(performance.now() - idleSince, keepAliveTimeoutMs + nodeKeepAliveBufferMs);
    expect(closed.reset).toBe(false);
  });

  it("sends GOAWAY to an HTTP/2 session whose last stream ended the idle timeout ago", async () => {
    const session = http2.connect(strict.baseUrl);
    const goaway = once(session, "goaway");
    const stream = session.request({ ":path": "/healthz" });
    stream.resume();
    await once(stream, "close");
    const idleSince = performance.now();
    await goaway;
    expectClosedAfter(performance.now() - idleSince, http2IdleTimeoutMs);
    await once(session, "close");
  });

  it("sends GOAWAY to an HTTP/2 connection that opens no stream within the headers timeout", async () => {
    const connectedAt = performance.now();
    const session = http2.connect(strict.baseUrl);
    await once(session, "goaway");
    expectClosedAfter(performance.now() - connectedAt, headersTimeoutMs);
    await once(session, "close");
  });
});

// ── a runner's stream ──────────────────────────────────────────────────────────────────

describe("a runner's WatchRequests stream", () => {
  const transports: Record<string, (baseUrl: string, token: string) => Transport> = {
    "gRPC over h2c": (baseUrl, token) => createGrpcTransport({ baseUrl, interceptors: [bearer(token)] }),
    "Connect over h2c": (baseUrl, token) =>
      createConnectTransport({ baseUrl, httpVersion: "2", interceptors: [bearer(token)] }),
    "Connect over HTTP/1.1": (baseUrl, token) =>
      createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(token)] }),
  };

  it.each(Object.keys(transports))(
    "stays open over %s while silent for longer than the headers, body and idle timeouts",
    async (name) => {
      const runner = await createTestRunner(relaxed.baseUrl, org.admin.token, { name });
      const makeTransport = transports[name] as (baseUrl: string, token: string) => Transport;
      const interaction = createClient(RunnerInteractionService, makeTransport(strict.baseUrl, runner.token));
      const answers = clientsFor(relaxed.baseUrl, runner.token).interaction;
      const abort = new AbortController();
      const received: WatchRequestsResponse[] = [];
      let ended: unknown = "still open";
      const loop = (async () => {
        try {
          for await (const message of interaction.watchRequests(
            { runnerId: runner.runnerId },
            { signal: abort.signal },
          )) {
            received.push(message);
            if (message.request.case === "callCheckAuthenticationForHost") {
              const host = message.request.value.host;
              await answers.sendResponse({
                runnerId: runner.runnerId,
                requestId: message.requestId,
                response: {
                  case: "callCheckAuthenticationForHost",
                  value: { resp: { authenticated: true, scmId: host } },
                },
              });
            }
          }
          ended = "ended";
        } catch (error) {
          ended = error;
        }
      })();
      try {
        await waitForStream(runner.runnerId);
        await sleep(Math.max(headersTimeoutMs, keepAliveTimeoutMs, requestTimeoutMs, http2IdleTimeoutMs) + 600);
        expect(ended).toBe("still open");
        // Still carrying calls: one made now reaches the runner and is answered.
        const answer = await admin.runners.checkAuthenticationForHost({
          runnerId: runner.runnerId,
          host: "github.com",
        });
        expect(answer.authenticated).toBe(true);
        expect(received.map((m) => m.request.case)).toContain("callCheckAuthenticationForHost");
      } finally {
        abort.abort();
        await loop;
      }
    },
  );

  async function waitForStream(runnerId: string): Promise<void> {
    for (let i = 0; i < 250; i++) {
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from runner_connections where runner_id = ${runnerId}`;
      if ((row?.n ?? 0) > 0) return;
      await sleep(20);
    }
    throw new Error("the stream was never registered");
  }
});

// ── shutdown ───────────────────────────────────────────────────────────────────────────

describe("shutdown", () => {
  /** A server of its own (shutdown is final), on the file's database. */
  const startServer = (shutdownTimeoutMs = 5_000) => startTestServer({ sql: db.sql, config: { shutdownTimeoutMs } });

  it("says Connection: close on HTTP/1.1 responses in flight when it begins and closes idle keep-alive connections at once", async () => {
    const server = await startServer();
    const clients = await Promise.all(Array.from({ length: 9 }, () => RawConnection.open(server.port)));
    for (const c of clients) {
      c.send(getHealth);
      expect((await c.response()).headers.connection).toBe("keep-alive");
    }
    const [inFlight, midHeaders, idle] = [clients.slice(0, 3), clients.slice(3, 6), clients.slice(6)];
    const body = "{}";
    // Requests whose handler is waiting for the body, and requests whose headers are half sent.
    for (const c of inFlight) c.send(postHeaders("application/json", body.length));
    const halfHeaders = postHeaders("application/json", body.length).slice(0, 40);
    for (const c of midHeaders) c.send(halfHeaders);
    await sleep(100);

    const closeBegan = performance.now();
    const closing = server.close();
    for (const c of idle) {
      const closed = await c.closed;
      expect(closed.reset).toBe(false);
      expect(performance.now() - closeBegan).toBeLessThan(lateMs);
    }
    await sleep(50);
    for (const c of inFlight) c.send(body);
    for (const c of midHeaders) c.send(postHeaders("application/json", body.length).slice(40) + body);
    for (const c of [...inFlight, ...midHeaders]) {
      const res = await c.response();
      expect(res.status).toBe(401); // no token: what matters is that it was answered
      expect(res.headers.connection).toBe("close");
      expect((await c.closed).reset).toBe(false);
    }
    await closing;
    expect(performance.now() - closeBegan).toBeLessThan(5_000);
  });

  it("never resets a keep-alive client doing requests across it: the last response says close, the next connection is refused", async () => {
    const server = await startServer();
    const agents = Array.from({ length: 8 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const request = (agent: http.Agent, method: string, path: string, body?: { first: string; rest: string }) =>
      new Promise<{ response: Promise<http.IncomingMessage>; finish: () => void }>((resolve) => {
        const req = http.request(`${server.baseUrl}${path}`, {
          agent,
          method,
          headers: body
            ? { "content-type": "application/json", "content-length": body.first.length + body.rest.length }
            : {},
        });
        const response = new Promise<http.IncomingMessage>((ok, fail) => {
          req.once("response", (res) => {
            res.resume();
            res.once("end", () => ok(res));
          });
          req.once("error", fail);
        });
        if (body) req.write(body.first);
        else req.end();
        resolve({ response, finish: () => req.end(body?.rest) });
      });

    for (const agent of agents) {
      const { response } = await request(agent, "GET", "/healthz");
      expect((await response).headers.connection).toBe("keep-alive");
    }
    const inFlight = await Promise.all(
      agents.map((agent) => request(agent, "POST", "/gitpod.v1.RunnerService/GetRunner", { first: "{", rest: "}" })),
    );
    await sleep(100);
    const closing = server.close();
    await sleep(50);
    for (const r of inFlight) r.finish();
    for (const r of inFlight) expect((await r.response).headers.connection).toBe("close");
    for (const agent of agents) {
      const { response } = await request(agent, "GET", "/healthz");
      await expect(response).rejects.toMatchObject({ code: "ECONNREFUSED" });
      agent.destroy();
    }
    await closing;
  });

  it("sends GOAWAY to HTTP/2 sessions and lets their in-flight streams finish", async () => {
    const server = await startServer();
    const session = http2.connect(server.baseUrl);
    const stream = session.request(
      { ":method": "POST", ":path": "/gitpod.v1.RunnerService/GetRunner", "content-type": "application/json" },
      { endStream: false },
    );
    stream.write("{");
    const response = once(stream, "response") as Promise<[http2.IncomingHttpHeaders]>;
    await sleep(100);
    const goaway = once(session, "goaway");
    const closing = server.close();
    await goaway;
    stream.end("}");
    stream.resume();
    const [headers] = await response;
    expect(headers[":status"]).toBe(401);
    await once(stream, "close");
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await once(session, "close");
    await closing;
  });

  it("destroys what is left after the shutdown timeout", async () => {
    const server = await startServer(300);
    const stuck = await RawConnection.open(server.port);
    stuck.send(postHeaders("application/json", 10));
    await sleep(100);
    const closeBegan = performance.now();
    await server.close();
    expectClosedAfter(performance.now() - closeBegan, 300);
    await stuck.closed;
  });
});
