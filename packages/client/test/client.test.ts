/**
 * The client against a live server, over every protocol it offers.
 */
import {
  Code,
  ConnectError,
  createRunnerplaneClient,
  errorCode,
  type Protocol,
  type RunnerplaneClient,
} from "@runnerplane/client";
import { RunnerKind, RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { seedOrganization, startTestServer, type TestServer } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (await seedOrganization(server.sql, "Client Co")).admin.token;
});
afterAll(() => server.close());

const protocols: [string, Protocol, boolean | undefined][] = [
  ["Connect JSON", "connect", undefined],
  ["Connect binary", "connect", true],
  ["gRPC", "grpc", undefined],
  ["gRPC-Web", "grpc-web", undefined],
];

describe.each(protocols)("over %s", (_name, protocol, binary) => {
  let client: RunnerplaneClient;
  beforeAll(() => {
    client = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token,
      protocol,
      ...(binary === undefined ? {} : { binary }),
    });
  });

  it("authenticates with the token and creates and reads runners", async () => {
    const { subject } = await client.identity.getAuthenticatedIdentity({});
    expect(subject?.id).toMatch(/^[0-9a-f-]{36}$/);
    const { runner } = await client.runners.createRunner({
      name: `made over ${protocol}`,
      provider: RunnerProvider.GCP,
    });
    const got = await client.runners.getRunner({ runnerId: runner?.runnerId ?? "" });
    expect(got.runner?.name).toBe(`made over ${protocol}`);
  });

  it("reports errors as Connect codes", async () => {
    const error = await client.runners.getRunner({ runnerId: "00000000-0000-4000-8000-000000000000" }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(errorCode(error)).toBe(Code.NotFound);
  });
});

describe("iterating a list", () => {
  it("walks more than three pages lazily, honouring the filter", async () => {
    const org = await seedOrganization(server.sql, "Many Runners Co");
    const client = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
    const made: string[] = [];
    for (let i = 0; i < 9; i++) {
      const provider = i % 3 === 0 ? RunnerProvider.LINUX_HOST : RunnerProvider.AWS_EC2;
      const { runner } = await client.runners.createRunner({ name: `runner ${i}`, provider });
      if (provider === RunnerProvider.AWS_EC2) made.push(runner?.runnerId ?? "");
    }
    let pages = 0;
    const counting = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token: org.admin.token,
      interceptors: [
        (next) => (req) => {
          pages++;
          return next(req);
        },
      ],
    });
    const seen: string[] = [];
    for await (const runner of counting.iterate.runners({
      filter: { kinds: [RunnerKind.REMOTE] },
      pagination: { pageSize: 1 },
    })) {
      seen.push(runner.runnerId);
      if (seen.length === 2) expect(pages).toBe(2); // fetched as the loop goes, not up front
    }
    expect(seen).toEqual(made);
    expect(pages).toBe(6); // six runners, one per page, then nothing more to fetch
  });

  it("stops fetching when the loop stops", async () => {
    let calls = 0;
    const client = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token,
      interceptors: [
        (next) => (req) => {
          calls++;
          return next(req);
        },
      ],
    });
    for await (const _ of client.iterate.runners({ pagination: { pageSize: 1 } })) break;
    expect(calls).toBe(1);
  });
});

describe("headers", () => {
  it("sends the bearer token from a function, per request", async () => {
    let asked = 0;
    const client = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token: () => {
        asked++;
        return token;
      },
    });
    await client.identity.getAuthenticatedIdentity({});
    await client.identity.getAuthenticatedIdentity({});
    expect(asked).toBe(2);
  });

  it("passes per-call timeouts and abort signals through", async () => {
    const client = createRunnerplaneClient({ baseUrl: server.baseUrl, token });
    const controller = new AbortController();
    controller.abort();
    const aborted = await client.identity.getAuthenticatedIdentity({}, { signal: controller.signal }).catch((e) => e);
    expect(errorCode(aborted)).toBe(Code.Canceled);
    // 1 ms is shorter than any round trip over HTTP.
    const timedOut = await client.identity.getAuthenticatedIdentity({}, { timeoutMs: 1 }).catch((e) => e);
    expect(errorCode(timedOut)).toBe(Code.DeadlineExceeded);
  });
});

describe("createRunnerplaneTransport", () => {
  it("gives generated clients the client's own auth header and protocol", async () => {
    const { createClient } = await import("@connectrpc/connect");
    const { IdentityService } = await import("@runnerplane/client/gitpod/v1/identity_pb");
    const { createRunnerplaneTransport } = await import("@runnerplane/client");
    const identity = createClient(IdentityService, createRunnerplaneTransport({ baseUrl: server.baseUrl, token }));
    const { subject } = await identity.getAuthenticatedIdentity({});
    expect(subject?.id).toMatch(/^[0-9a-f-]{36}$/);
    const anonymous = createClient(IdentityService, createRunnerplaneTransport({ baseUrl: server.baseUrl }));
    await expect(anonymous.getAuthenticatedIdentity({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
