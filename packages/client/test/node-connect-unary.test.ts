/**
 * The client's Connect unary calls on Node (src/node-connect-unary.ts, docs/decisions.md)
 * against connect-node's transport: the same calls to the live server through both must
 * come out the same — answers, errors with their details and metadata, deadlines,
 * cancellation, a refused connection, compressed answers, and what interceptors see.
 */
import { createServer } from "node:net";
import { type Client, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createRunnerplaneTransport, headersInterceptor } from "@runnerplane/client";
import { IdentityService } from "@runnerplane/client/gitpod/v1/identity_pb";
import { RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/client/gitpod/v1/runner_pb";
import { seedOrganization, startTestServer, type TestServer } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: TestServer;
let token: string;
let refusedUrl: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (await seedOrganization(server.sql, "Transport Co")).admin.token;
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  refusedUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 1}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(() => server.close());

/** What an interceptor saw of a call, without what differs from one call to the next (date, request id). */
interface Seen {
  request: { url: string; method: string; stream: boolean; header: [string, string][] };
  response?: { header: [string, string][]; trailer: [string, string][] };
}

function recorder(seen: Seen[]): Interceptor {
  return (next) => async (req) => {
    const entry: Seen = {
      request: { url: req.url, method: req.requestMethod, stream: req.stream, header: entries(req.header) },
    };
    seen.push(entry);
    const res = await next(req);
    if (!res.stream) entry.response = { header: entries(res.header), trailer: entries(res.trailer) };
    return res;
  };
}

function entries(headers: Headers): [string, string][] {
  return [...headers.entries()]
    .filter(([k]) => k !== "date" && k !== "x-request-id")
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

type Outcome =
  | { ok: true; message: unknown }
  | {
      ok: false;
      code: number;
      rawMessage: string;
      details: unknown;
      metadata: [string, string][];
      name: string;
      isConnectError: boolean;
    };

async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, message: await call };
  } catch (error) {
    const e = ConnectError.from(error);
    return {
      ok: false,
      code: e.code,
      rawMessage: e.rawMessage,
      details: e.details,
      metadata: entries(e.metadata),
      name: e.name,
      isConnectError: error instanceof ConnectError,
    };
  }
}

interface Side {
  seen: Seen[];
  runners: Client<typeof RunnerService>;
  identity: Client<typeof IdentityService>;
}

function sideOf(transport: (recorder: Interceptor) => Transport): Side {
  const seen: Seen[] = [];
  const t = transport(recorder(seen));
  return { seen, runners: createClient(RunnerService, t), identity: createClient(IdentityService, t) };
}

/**
 * This client's transport and connect-node's, each with the client's headers (the bearer
 * token unless `anonymous`) and a recorder; `both` makes the same call through each.
 */
function sides(binary: boolean, options: { baseUrl?: string; anonymous?: boolean } = {}) {
  const baseUrl = options.baseUrl ?? server.baseUrl;
  const auth = options.anonymous ? {} : { token };
  const ours = sideOf((record) =>
    createRunnerplaneTransport({ baseUrl, ...auth, protocol: "connect", binary, retry: false, interceptors: [record] }),
  );
  const theirs = sideOf((record) =>
    createConnectTransport({
      baseUrl,
      httpVersion: "1.1",
      useBinaryFormat: binary,
      interceptors: [headersInterceptor(auth), record],
    }),
  );
  return {
    ours,
    theirs,
    both: (call: (side: Side) => Promise<unknown>) => Promise.all([outcomeOf(call(ours)), outcomeOf(call(theirs))]),
  };
}

describe.each([
  ["binary", true],
  ["JSON", false],
])("Connect %s unary calls on Node, against connect-node's transport", (_name, binary) => {
  it("answers the same, and interceptors see the same request and response headers", async () => {
    const { ours, theirs, both } = sides(binary);
    const [a, b] = await both((side) => side.runners.createRunner({ name: "twin", provider: RunnerProvider.GCP }));
    expect(a.ok && b.ok).toBe(true);
    // Two new runners differ (ids, times), and so do their answers' lengths: compare what
    // the interceptors see of the next call, the same for both.
    ours.seen.length = theirs.seen.length = 0;
    const [x, y] = await both((side) => side.identity.getAuthenticatedIdentity({}));
    expect(x).toEqual(y);
    expect(ours.seen).toEqual(theirs.seen);
    expect(ours.seen[0]?.request.header.map(([k]) => k)).toContain("connect-protocol-version");
  });

  it("reports an invalid request with the same code, message, details and metadata", async () => {
    const { both } = sides(binary);
    const [a, b] = await both((side) => side.runners.createRunner({ name: "x".repeat(300) }));
    expect(a).toMatchObject({ ok: false, code: 3 });
    expect(a).toEqual(b);
    expect((a as { details: unknown[] }).details.length).toBeGreaterThan(0);
  });

  it("reports not found and unauthenticated alike", async () => {
    const { both } = sides(binary);
    const missing = await both((side) => side.runners.getRunner({ runnerId: "00000000-0000-4000-8000-000000000000" }));
    expect(missing[0]).toMatchObject({ ok: false, code: 5 });
    expect(missing[0]).toEqual(missing[1]);
    const anonymous = sides(binary, { anonymous: true });
    const [c, d] = await anonymous.both((side) => side.identity.getAuthenticatedIdentity({}));
    expect(c).toMatchObject({ ok: false, code: 16 });
    expect(c).toEqual(d);
  });

  it("ends a call at its deadline, and one whose signal aborted, with the same errors", async () => {
    const { both } = sides(binary);
    const late = await both((side) => side.identity.getAuthenticatedIdentity({}, { timeoutMs: 1 }));
    expect(late[0]).toMatchObject({ ok: false, code: 4 });
    expect(late[0]).toEqual(late[1]);
    for (const reason of [undefined, new Error("not wanted")]) {
      const cancelled = await both((side) => {
        const controller = new AbortController();
        controller.abort(reason);
        return side.identity.getAuthenticatedIdentity({}, { signal: controller.signal });
      });
      expect(cancelled[0]).toMatchObject({ ok: false });
      expect(cancelled[0]).toEqual(cancelled[1]);
    }
  });

  it("reports a server that refuses the connection as unavailable", async () => {
    const { both } = sides(binary, { baseUrl: refusedUrl });
    const [a, b] = await both((side) => side.identity.getAuthenticatedIdentity({}));
    expect(a).toMatchObject({ ok: false, code: 14 });
    expect({ ...a, rawMessage: "" }).toEqual({ ...b, rawMessage: "" });
  });

  it("reads a compressed answer", async () => {
    const { ours, theirs, both } = sides(binary);
    for (let i = 0; i < 30; i++) await ours.runners.createRunner({ name: `many ${i}`, provider: RunnerProvider.GCP });
    ours.seen.length = 0;
    const [a, b] = await both((side) => side.runners.listRunners({ pagination: { pageSize: 100 } }));
    expect(a.ok).toBe(true);
    expect(a).toEqual(b);
    expect(ours.seen[0]?.response?.header).toContainEqual(["content-encoding", "gzip"]);
    expect(ours.seen).toEqual(theirs.seen);
  });
});
