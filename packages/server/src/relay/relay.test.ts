/**
 * The relay over two real servers sharing one Postgres (behaviour.md §5, §6, §8;
 * docs/relay.md). Server A takes the callers' requests; a fake runner holds its
 * WatchRequests stream on server B and answers with SendResponse (to B unless a test says
 * otherwise), so every call, answer and event crosses processes through Postgres. Each
 * server has its own pool and LISTEN connection, as two processes would.
 */
import { randomUUID } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  RunnerInteractionService,
  SendResponseRequest_ErrorCode,
  type SendResponseRequestSchema,
  type WatchRequestsResponse,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import {
  CheckAuthenticationForHostResponseSchema,
  CheckRepositoryAccessResponseSchema,
  ListSCMOrganizationsResponseSchema,
  ParseContextURLPreconditionFailureDetailsSchema,
  ParseContextURLResponseSchema,
  RunnerPhase,
  SearchMode,
  SearchRepositoriesResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../clock.js";
import { createSql, type Sql } from "../db/index.js";
import { silentLogger } from "../logging/index.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  bearer,
  callError,
  createTestDatabase,
  createTestRunner,
  openSealed,
  type SeededMember,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";
import { createRelay, type Relay } from "./relay.js";

// ── two servers, one database ──────────────────────────────────────────────────────────

let db: TestDatabase;
let sqlB: Sql;
let serverA: TestServer;
let serverB: TestServer;
/** Only for `isConnected`: the same presence check every server makes. */
let probe: Relay;

let org: SeededOrganization;
let otherOrg: SeededOrganization;
let admin: Clients;
let member: Clients;
let robot: Clients;

/** The org runner most tests ask; its fake holds a stream on B for the whole file. */
let runner: TestRunner;
let fake: FakeRunner;

const fakes: FakeRunner[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sqlB = createSql(db.url, { max: 5, applicationName: "runnerplane-test-b" });
  serverA = await startTestServer({ sql: db.sql });
  serverB = await startTestServer({ sql: sqlB });
  probe = createRelay({ sql: db.sql, clock: systemClock, log: silentLogger });
  org = await seedOrganization(db.sql, "Relay Inc");
  otherOrg = await seedOrganization(db.sql, "Elsewhere Ltd");
  admin = clientsFor(serverA.baseUrl, org.admin.token);
  member = clientsFor(serverA.baseUrl, org.member.token);
  robot = clientsFor(serverA.baseUrl, org.serviceAccount.token);
  runner = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "relayed runner" });
  fake = await startFakeRunner(runner);
});

afterAll(async () => {
  for (const f of fakes) await f.stop();
  await serverB?.close();
  await sqlB?.end({ timeout: 5 });
  await serverA?.close();
  await db?.drop();
});

beforeEach(() => {
  fake.answer = cannedAnswer;
});

// ── a small runner ─────────────────────────────────────────────────────────────────────

type RunnerAnswer = MessageInitShape<typeof SendResponseRequestSchema>["response"];
type Answerer = (call: WatchRequestsResponse) => RunnerAnswer | undefined | Promise<RunnerAnswer | undefined>;
type Request = WatchRequestsResponse["request"];
type RequestCase = NonNullable<Request["case"]>;
type RequestValue<C extends RequestCase> = Extract<Request, { case: C }>["value"];

interface FakeRunner {
  runnerId: string;
  /** Everything the stream delivered, in order. */
  received: WatchRequestsResponse[];
  /** How calls are answered; `undefined` leaves a call unanswered. */
  answer: Answerer;
  /** SendResponse failures (there should be none). */
  answerErrors: unknown[];
  /** The stream's failure, if it ended other than by stop(). */
  streamError: unknown;
  /** Received messages of one kind, with their request ids. */
  messagesOf<C extends RequestCase>(kind: C): { requestId: string; value: RequestValue<C> }[];
  stop(): Promise<void>;
}

/**
 * A runner as the reference one behaves: one WatchRequests stream (on `streamTo`), every
 * call answered with SendResponse (to `answerTo`). Resolves once the stream is registered
 * (some server reports the runner connected), so calls made afterwards reach it.
 */
async function startFakeRunner(
  target: TestRunner,
  options: { streamTo?: string; answerTo?: string; answer?: Answerer; protocol?: "connect" | "grpc" } = {},
): Promise<FakeRunner> {
  const streamTo = options.streamTo ?? serverB.baseUrl;
  const interaction =
    options.protocol === "grpc"
      ? createClient(
          RunnerInteractionService,
          createGrpcTransport({ baseUrl: streamTo, interceptors: [bearer(target.token)] }),
        )
      : clientsFor(streamTo, target.token).interaction;
  const answers = clientsFor(options.answerTo ?? serverB.baseUrl, target.token).interaction;
  const before = await liveStreams(target.runnerId);
  const abort = new AbortController();
  const self: FakeRunner = {
    runnerId: target.runnerId,
    received: [],
    answer: options.answer ?? cannedAnswer,
    answerErrors: [],
    streamError: undefined,
    messagesOf: <C extends RequestCase>(kind: C) =>
      self.received
        .filter((m) => m.request.case === kind)
        .map((m) => ({ requestId: m.requestId, value: m.request.value as RequestValue<C> })),
    stop: async () => {
      if (abort.signal.aborted) return;
      const open = await liveStreams(target.runnerId);
      abort.abort();
      await loop;
      await vi.waitFor(async () => expect(await liveStreams(target.runnerId)).toBeLessThan(Math.max(open, 1)), {
        timeout: 5_000,
        interval: 20,
      });
    },
  };
  const respond = async (call: WatchRequestsResponse) => {
    try {
      const response = await self.answer(call);
      if (response) await answers.sendResponse({ runnerId: target.runnerId, requestId: call.requestId, response });
    } catch (error) {
      self.answerErrors.push(error);
    }
  };
  const loop = (async () => {
    try {
      for await (const message of interaction.watchRequests({ runnerId: target.runnerId }, { signal: abort.signal })) {
        self.received.push(message);
        if (message.request.case?.startsWith("call")) void respond(message);
      }
    } catch (error) {
      if (!abort.signal.aborted) self.streamError = error;
    }
  })();
  await vi.waitFor(
    async () => {
      if (self.streamError) throw new Error(`the stream failed: ${String(self.streamError)}`);
      expect(await liveStreams(target.runnerId)).toBeGreaterThan(before);
      expect(await probe.isConnected(target.runnerId)).toBe(true);
    },
    { timeout: 5_000, interval: 20 },
  );
  fakes.push(self);
  return self;
}

/** How many registered streams the runner has, on any server (docs/relay.md: runner_connections). */
async function liveStreams(runnerId: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from runner_connections where runner_id = ${runnerId}`;
  return row?.n ?? 0;
}

/** Answers every call with something recognisable, derived from the request. */
const cannedAnswer: Answerer = (call): RunnerAnswer | undefined => {
  const r = call.request;
  switch (r.case) {
    case "callParseContext":
      return { case: "callParseContext", value: { resp: { originalContextUrl: r.value.contextUrl, scmId: "canned" } } };
    case "callCheckAuthenticationForHost":
      return { case: "callCheckAuthenticationForHost", value: { resp: { authenticated: true, scmId: r.value.host } } };
    case "callCheckRepositoryAccess":
      return { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true } } };
    case "callSearchRepositories":
      return { case: "callSearchRepositories", value: { repositories: [{ name: r.value.searchString }] } };
    case "callListScmOrganizations":
      return { case: "callListScmOrganizations", value: { organizations: [{ name: r.value.scmHost }] } };
    case "callValidateConfig":
      return {
        case: "callValidateConfig",
        value: {
          result:
            r.value.config.case === "scm"
              ? { case: "scm", value: { valid: true } }
              : { case: "environmentClass", value: { valid: true } },
        },
      };
    case "callPing":
      return { case: "callPing", value: {} };
    default:
      return undefined;
  }
};

/** Answers one kind of call with `value`; other calls as usual. */
function answering<C extends Exclude<NonNullable<RunnerAnswer>["case"], "error" | undefined>>(
  kind: C,
  value: Extract<NonNullable<RunnerAnswer>, { case: C }>["value"],
): Answerer {
  return (call) => (call.request.case === kind ? ({ case: kind, value } as RunnerAnswer) : cannedAnswer(call));
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The last call of a kind the runner received. */
function lastCall<C extends RequestCase>(f: FakeRunner, kind: C) {
  const calls = f.messagesOf(kind);
  const call = calls[calls.length - 1];
  if (!call) throw new Error(`the runner received no ${kind}`);
  return call;
}

// ── calls ──────────────────────────────────────────────────────────────────────────────

describe("calls that ask the runner (caller on A, runner streaming to B)", () => {
  it("ParseContextURL returns exactly what the runner answered, and the runner learns who asks", async () => {
    const url = "https://github.com/acme/app/pull/7";
    const resp = {
      originalContextUrl: url,
      scmId: "github",
      git: {
        cloneUrl: "https://github.com/acme/app.git",
        branch: "feature",
        host: "github.com",
        owner: "acme",
        repo: "app",
        upstreamRemoteUrl: "https://github.com/fork/app.git",
      },
      issue: { id: "7", title: "Fix it" },
      projectIds: ["p1"],
      recommendedEnvironmentClasses: ["ec1", "ec2"],
    };
    fake.answer = answering("callParseContext", { resp });
    const got = await member.runners.parseContextURL({ runnerId: runner.runnerId, contextUrl: url });
    expect(got).toEqual(create(ParseContextURLResponseSchema, resp));
    const call = lastCall(fake, "callParseContext");
    expect(call.value).toMatchObject({ contextUrl: url, principalId: org.member.member.id });
    expect(call.requestId).toMatch(uuid);
  });

  it("CheckAuthenticationForHost", async () => {
    const resp = {
      authenticated: false,
      scmId: "gitlab",
      scmName: "GitLab",
      supportsOauth2: { authUrl: "https://gitlab.example/oauth", docsUrl: "https://docs.example/oauth" },
      supportsPat: {
        createUrl: "https://gitlab.example/-/profile/personal_access_tokens",
        docsUrl: "https://docs.example/pat",
        example: "glpat-xxxx",
        requiredScopes: ["read_repository", "api"],
      },
    };
    fake.answer = answering("callCheckAuthenticationForHost", { resp });
    const got = await member.runners.checkAuthenticationForHost({ runnerId: runner.runnerId, host: "gitlab.example" });
    expect(got).toEqual(create(CheckAuthenticationForHostResponseSchema, resp));
    expect(lastCall(fake, "callCheckAuthenticationForHost").value).toMatchObject({
      host: "gitlab.example",
      principalId: org.member.member.id,
    });

    // A service account cannot follow an OAuth link (no browser session): PAT guidance only
    // (docs/scm-oauth.md), everything else as the runner said.
    const asRobot = await robot.runners.checkAuthenticationForHost({
      runnerId: runner.runnerId,
      host: "gitlab.example",
    });
    const { supportsOauth2: _dropped, ...withoutOauth } = resp;
    expect(asRobot).toEqual(create(CheckAuthenticationForHostResponseSchema, withoutOauth));
    expect(lastCall(fake, "callCheckAuthenticationForHost").value).toMatchObject({
      host: "gitlab.example",
      principalId: org.serviceAccount.member.id,
    });
  });

  it("CheckRepositoryAccess", async () => {
    const resp = { hasAccess: false, errorMessage: "repository is private" };
    fake.answer = answering("callCheckRepositoryAccess", { resp });
    const repositoryUrl = "https://github.com/acme/secret";
    const got = await admin.runners.checkRepositoryAccess({ runnerId: runner.runnerId, repositoryUrl });
    expect(got).toEqual(create(CheckRepositoryAccessResponseSchema, resp));
    expect(lastCall(fake, "callCheckRepositoryAccess").value).toMatchObject({
      repositoryUrl,
      principalId: org.admin.member.id,
    });
  });

  it("SearchRepositories passes pagination through both ways", async () => {
    const answer = {
      repositories: [
        { name: "acme/app", url: "https://github.com/acme/app" },
        { name: "acme/api", url: "https://github.com/acme/api" },
      ],
      pagination: { nextToken: "scm-page-3" },
      lastPage: 9,
    };
    fake.answer = answering("callSearchRepositories", answer);
    const got = await member.runners.searchRepositories({
      runnerId: runner.runnerId,
      searchString: "acme",
      limit: 2,
      pagination: { pageSize: 2, token: "scm-page-2" },
      scmHost: "github.com",
      searchMode: SearchMode.NATIVE,
    });
    expect(got).toEqual(create(SearchRepositoriesResponseSchema, answer));
    expect(lastCall(fake, "callSearchRepositories").value).toMatchObject({
      principalId: org.member.member.id,
      searchString: "acme",
      limit: 2,
      pagination: { pageSize: 2, token: "scm-page-2" },
      scmHost: "github.com",
      searchMode: SearchMode.NATIVE,
    });
  });

  it("SearchRepositories on the last page: no next token", async () => {
    fake.answer = answering("callSearchRepositories", { repositories: [{ name: "acme/last" }], lastPage: 3 });
    const got = await member.runners.searchRepositories({
      runnerId: runner.runnerId,
      searchString: "last",
      limit: 25,
    });
    expect(got.repositories.map((r) => r.name)).toEqual(["acme/last"]);
    expect(got.pagination?.nextToken ?? "").toBe("");
    expect(got.lastPage).toBe(3);
  });

  it("SearchRepositories without the deprecated limit asks the runner for the default page size, 25", async () => {
    fake.answer = answering("callSearchRepositories", { repositories: [{ name: "acme/app" }] });
    const requests: { limit?: number; pagination?: { token?: string } }[] = [
      {},
      { limit: 0 },
      { pagination: { token: "scm-page-2" } },
      { limit: 0, pagination: {} },
    ];
    for (const request of requests) {
      const got = await member.runners.searchRepositories({
        runnerId: runner.runnerId,
        searchString: "acme",
        ...request,
      });
      expect(got.repositories.map((r) => r.name)).toEqual(["acme/app"]);
      // Both places a runner may read it from, old (limit) and new (pagination.page_size).
      expect(lastCall(fake, "callSearchRepositories").value, JSON.stringify(request)).toMatchObject({
        limit: 25,
        pagination: { pageSize: 25, token: request.pagination?.token ?? "" },
      });
    }
  });

  it("SearchRepositories as newer clients send it, with pagination only, over plain HTTP JSON", async () => {
    const res = await fetch(`${serverA.baseUrl}/api/gitpod.v1.RunnerService/SearchRepositories`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.member.token}` },
      body: JSON.stringify({ runnerId: runner.runnerId, searchString: "acme", pagination: { pageSize: 10 } }),
    });
    expect(res.status).toBe(200);
    expect(lastCall(fake, "callSearchRepositories").value).toMatchObject({ limit: 10, pagination: { pageSize: 10 } });
  });

  it("SearchRepositories: a limit that is set wins over pagination.page_size", async () => {
    await member.runners.searchRepositories({
      runnerId: runner.runnerId,
      limit: 7,
      pagination: { pageSize: 50, token: "t" },
    });
    expect(lastCall(fake, "callSearchRepositories").value).toMatchObject({
      limit: 7,
      pagination: { pageSize: 7, token: "t" },
    });
  });

  it.each([-1, 101])("SearchRepositories refuses a limit of %i before asking the runner", async (limit) => {
    const before = fake.messagesOf("callSearchRepositories").length;
    const error = await callError(member.runners.searchRepositories({ runnerId: runner.runnerId, limit }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^limit: value must be (greater|less) than or equal to/);
    expect(fake.messagesOf("callSearchRepositories")).toHaveLength(before);
  });

  it("ListSCMOrganizations passes pagination through both ways", async () => {
    const answer = {
      organizations: [
        { name: "acme", url: "https://github.com/acme", isAdmin: true },
        { name: "acme-labs", url: "https://github.com/acme-labs" },
      ],
      pagination: { nextToken: "orgs-after-acme-labs" },
    };
    fake.answer = answering("callListScmOrganizations", answer);
    const got = await member.runners.listSCMOrganizations({
      runnerId: runner.runnerId,
      scmHost: "github.com",
      query: "acme",
      pagination: { pageSize: 2, token: "orgs-after-zeta" },
    });
    expect(got).toEqual(create(ListSCMOrganizationsResponseSchema, answer));
    expect(lastCall(fake, "callListScmOrganizations").value).toMatchObject({
      principalId: org.member.member.id,
      scmHost: "github.com",
      query: "acme",
      pagination: { pageSize: 2, token: "orgs-after-zeta" },
    });
  });

  it("gives every call a fresh request id", async () => {
    const before = fake.received.length;
    for (let i = 0; i < 3; i++) {
      await member.runners.checkRepositoryAccess({
        runnerId: runner.runnerId,
        repositoryUrl: `https://github.com/acme/r${i}`,
      });
    }
    const ids = fake.received.slice(before).map((m) => m.requestId);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(uuid);
    expect(new Set(ids).size).toBe(3);
  });

  it("gives concurrent calls each their own answer, whatever order the runner answers in", async () => {
    let pending = 0;
    const release: (() => void)[] = [];
    fake.answer = async (call) => {
      // Hold all five, then answer the last first.
      pending++;
      await new Promise<void>((resolve) => release.push(resolve));
      return cannedAnswer(call);
    };
    const hosts = ["h1.example", "h2.example", "h3.example", "h4.example", "h5.example"];
    const results = Promise.all(
      hosts.map((host) => member.runners.checkAuthenticationForHost({ runnerId: runner.runnerId, host })),
    );
    await vi.waitFor(() => expect(pending).toBe(5), { timeout: 5_000 });
    for (const r of release.reverse()) r();
    expect((await results).map((r) => r.scmId)).toEqual(hosts);
  });

  it("works when the runner answers to the caller's server", async () => {
    const other = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "answers to A" });
    const f = await startFakeRunner(other, { answerTo: serverA.baseUrl });
    const got = await member.runners.parseContextURL({
      runnerId: other.runnerId,
      contextUrl: "https://gitlab.com/g/p",
    });
    expect(got.originalContextUrl).toBe("https://gitlab.com/g/p");
    await f.stop();
  });

  it("works with a runner streaming over gRPC (HTTP/2)", async () => {
    const other = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "grpc runner" });
    const f = await startFakeRunner(other, { protocol: "grpc" });
    const got = await member.runners.listSCMOrganizations({ runnerId: other.runnerId, scmHost: "gitlab.com" });
    expect(got.organizations.map((o) => o.name)).toEqual(["gitlab.com"]);
    expect(f.streamError).toBeUndefined();
    await f.stop();
  });

  it("delivers a call to exactly one of a runner's streams", async () => {
    const other = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "two streams" });
    const onB = await startFakeRunner(other);
    const onA = await startFakeRunner(other, { streamTo: serverA.baseUrl, answerTo: serverA.baseUrl });
    for (let i = 0; i < 4; i++) {
      await member.runners.checkRepositoryAccess({
        runnerId: other.runnerId,
        repositoryUrl: `https://github.com/acme/one-of-two-${i}`,
      });
    }
    const delivered = [...onA.received, ...onB.received].filter((m) => m.request.case === "callCheckRepositoryAccess");
    expect(delivered).toHaveLength(4);
    expect(new Set(delivered.map((m) => m.requestId)).size).toBe(4);
    await onA.stop();
    // One stream gone, the other still serves.
    const got = await member.runners.checkRepositoryAccess({
      runnerId: other.runnerId,
      repositoryUrl: "https://github.com/acme/after",
    });
    expect(got.hasAccess).toBe(true);
    await onB.stop();
  });

  it("lets nobody but runner users ask (not_found for other orgs)", async () => {
    const otherAdmin = clientsFor(serverA.baseUrl, otherOrg.admin.token);
    const error = await callError(
      otherAdmin.runners.parseContextURL({ runnerId: runner.runnerId, contextUrl: "https://github.com/a/b" }),
    );
    expect(error.code).toBe(Code.NotFound);
  });
});

// ── errors ─────────────────────────────────────────────────────────────────────────────

describe("a runner streaming to the caller's own server (delivered and answered without a notification)", () => {
  let local: TestRunner;
  let onA: FakeRunner;

  beforeAll(async () => {
    local = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "streams to A" });
    onA = await startFakeRunner(local, { streamTo: serverA.baseUrl, answerTo: serverA.baseUrl });
  });
  beforeEach(() => {
    onA.answer = cannedAnswer;
  });

  const callRows = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from relay_calls`)[0]?.n;

  it("gets the runner's answer and leaves no call behind", async () => {
    const got = await member.runners.parseContextURL({ runnerId: local.runnerId, contextUrl: "https://x.example/a" });
    expect(got).toMatchObject({ originalContextUrl: "https://x.example/a", scmId: "canned" });
    expect(lastCall(onA, "callParseContext").value.principalId).toBe(org.member.member.id);
    expect(await callRows()).toBe(0);
  });

  it("holds the call in memory alone: no row while the runner has it", async () => {
    let rowsWhileAsked: number | undefined;
    onA.answer = async (call) => {
      rowsWhileAsked = await callRows();
      return cannedAnswer(call);
    };
    const got = await member.runners.parseContextURL({ runnerId: local.runnerId, contextUrl: "https://x.example/m" });
    expect(got.originalContextUrl).toBe("https://x.example/m");
    expect(rowsWhileAsked).toBe(0);
  });

  it("gets the answer when the runner sends it to another server", async () => {
    const answers = clientsFor(serverB.baseUrl, local.token).interaction;
    onA.answer = (call) => {
      void answers.sendResponse({
        runnerId: local.runnerId,
        requestId: call.requestId,
        response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage: "via B" } } },
      });
      return undefined;
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: local.runnerId,
      repositoryUrl: "https://github.com/acme/via-b",
    });
    expect(got.errorMessage).toBe("via B");
    expect(await callRows()).toBe(0);
  });

  it("is answered at another server only with an id a replica made for this runner", async () => {
    const viaB = clientsFor(serverB.baseUrl, local.token).interaction;
    const intruder = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "intruder via B" });
    const intruderViaB = clientsFor(serverB.baseUrl, intruder.token).interaction;
    const forged = (runnerId: string, requestId: string) => ({
      runnerId,
      requestId,
      response: {
        case: "callCheckRepositoryAccess" as const,
        value: { resp: { hasAccess: true, errorMessage: "FORGED" } },
      },
    });
    let rowsAfterForgeries: number | undefined;
    onA.answer = async (call) => {
      // A made-up id, and the call's own id from another runner: neither is stored.
      await viaB.sendResponse(forged(local.runnerId, randomUUID()));
      await intruderViaB.sendResponse(forged(intruder.runnerId, call.requestId));
      rowsAfterForgeries = await callRows();
      return cannedAnswer(call);
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: local.runnerId,
      repositoryUrl: "https://github.com/acme/forged-via-b",
    });
    expect(got.errorMessage).not.toBe("FORGED");
    expect(rowsAfterForgeries).toBe(0);
  });

  it("keeps only the first of two answers, the second sent to another server", async () => {
    const viaA = clientsFor(serverA.baseUrl, local.token).interaction;
    const viaB = clientsFor(serverB.baseUrl, local.token).interaction;
    const second = vi.fn();
    onA.answer = (call) => {
      const send = (via: typeof viaA, errorMessage: string) =>
        via.sendResponse({
          runnerId: local.runnerId,
          requestId: call.requestId,
          response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage } } },
        });
      void send(viaB, "first").then(() => send(viaB, "second").then(() => send(viaA, "third").then(second)));
      return undefined;
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: local.runnerId,
      repositoryUrl: "https://github.com/acme/twice-via-b",
    });
    expect(got.errorMessage).toBe("first");
    await vi.waitFor(() => expect(second).toHaveBeenCalled());
    // The second reached B after A had taken the first: B stored it for nobody, and the
    // leftover sweep removes it a minute after the deadline (docs/relay.md). The third
    // reached A, which knows the call is over, and was dropped there.
    const left = await db.sql<{ response: Buffer }[]>`select response from relay_calls`;
    expect(left).toHaveLength(1);
    await db.sql`delete from relay_calls`;
  });

  it("keeps only the first of two answers", async () => {
    const answers = clientsFor(serverA.baseUrl, local.token).interaction;
    const second = vi.fn();
    onA.answer = (call) => {
      const send = (errorMessage: string) =>
        answers.sendResponse({
          runnerId: local.runnerId,
          requestId: call.requestId,
          response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage } } },
        });
      void send("first").then(() => send("second").then(second));
      return undefined;
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: local.runnerId,
      repositoryUrl: "https://github.com/acme/twice-local",
    });
    expect(got.errorMessage).toBe("first");
    await vi.waitFor(() => expect(second).toHaveBeenCalled());
    expect(await callRows()).toBe(0);
  });

  it("drops an answer that comes after the deadline", async () => {
    const held: WatchRequestsResponse[] = [];
    onA.answer = (call) => {
      held.push(call);
      return undefined;
    };
    const error = await callError(
      member.runners.parseContextURL(
        { runnerId: local.runnerId, contextUrl: "https://x.example/slow" },
        { timeoutMs: 300 },
      ),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
    await vi.waitFor(async () => expect(await callRows()).toBe(0));
    const late = held[0] as WatchRequestsResponse;
    const answers = clientsFor(serverA.baseUrl, local.token).interaction;
    await answers.sendResponse({
      runnerId: local.runnerId,
      requestId: late.requestId,
      response: { case: "callParseContext", value: { resp: { originalContextUrl: "LATE" } } },
    });
    // Dropped at the process that held the call: nothing stored for it.
    expect(await callRows()).toBe(0);
    onA.answer = cannedAnswer;
    const next = await member.runners.parseContextURL({ runnerId: local.runnerId, contextUrl: "https://x.example/n" });
    expect(next.originalContextUrl).toBe("https://x.example/n");
  });

  it("is not answered by another runner naming the call's id", async () => {
    const intruder = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "intruder" });
    const asIntruder = clientsFor(serverA.baseUrl, intruder.token).interaction;
    onA.answer = async (call) => {
      await asIntruder.sendResponse({
        runnerId: intruder.runnerId,
        requestId: call.requestId,
        response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage: "FORGED" } } },
      });
      return cannedAnswer(call);
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: local.runnerId,
      repositoryUrl: "https://github.com/acme/forged",
    });
    expect(got.errorMessage).not.toBe("FORGED");
  });
});

describe("a runner's error answer", () => {
  it("FAILED_PRECONDITION keeps its message and a decodable ParseContextURLPreconditionFailureDetails", async () => {
    const detail = create(ParseContextURLPreconditionFailureDetailsSchema, {
      authenticationRequiredUrl: "http://localhost:8080/auth/github?host=github.com",
      scmId: "github",
      runnerIds: [runner.runnerId],
    });
    fake.answer = () => ({
      case: "error",
      value: {
        code: SendResponseRequest_ErrorCode.FAILED_PRECONDITION,
        message: "authenticate with github.com first",
        details: [anyPack(ParseContextURLPreconditionFailureDetailsSchema, detail)],
      },
    });
    const error = await callError(
      member.runners.parseContextURL({ runnerId: runner.runnerId, contextUrl: "https://github.com/acme/private" }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("authenticate with github.com first");
    expect(error.findDetails(ParseContextURLPreconditionFailureDetailsSchema)).toEqual([detail]);
  });

  it.each([
    ["NOT_FOUND", SendResponseRequest_ErrorCode.NOT_FOUND, Code.NotFound, "repository acme/nope not found"],
    ["PERMISSION_DENIED", SendResponseRequest_ErrorCode.PERMISSION_DENIED, Code.PermissionDenied, "no access"],
    ["INVALID_ARGUMENT", SendResponseRequest_ErrorCode.INVALID_ARGUMENT, Code.InvalidArgument, "not a URL I know"],
    ["UNAUTHENTICATED", SendResponseRequest_ErrorCode.UNAUTHENTICATED, Code.Unauthenticated, "token expired"],
  ])("%s passes through with its message", async (_name, runnerCode, code, message) => {
    fake.answer = () => ({ case: "error", value: { code: runnerCode, message } });
    for (const call of [
      () => member.runners.parseContextURL({ runnerId: runner.runnerId, contextUrl: "https://github.com/acme/nope" }),
      () =>
        member.runners.checkRepositoryAccess({ runnerId: runner.runnerId, repositoryUrl: "https://github.com/a/b" }),
      () => member.runners.searchRepositories({ runnerId: runner.runnerId, searchString: "x", limit: 10 }),
    ]) {
      const error = await callError(call());
      expect(error.code).toBe(code);
      expect(error.rawMessage).toBe(message);
    }
  });

  it("without a code is unknown, and without a message still says something", async () => {
    fake.answer = () => ({ case: "error", value: {} });
    const error = await callError(member.runners.checkAuthenticationForHost({ runnerId: runner.runnerId, host: "x" }));
    expect(error.code).toBe(Code.Unknown);
    expect(error.rawMessage).not.toBe("");
  });

  it("an answer of the wrong kind is internal, not passed off as the response", async () => {
    fake.answer = (call) =>
      call.request.case === "callCheckRepositoryAccess" ? { case: "callPing", value: {} } : cannedAnswer(call);
    const error = await callError(
      member.runners.checkRepositoryAccess({ runnerId: runner.runnerId, repositoryUrl: "https://github.com/a/b" }),
    );
    expect(error.code).toBe(Code.Internal);
  });
});

// ── not connected ──────────────────────────────────────────────────────────────────────

describe("a runner that is not connected", () => {
  it("answers every relayed method with unavailable at once", async () => {
    const idle = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "never connects" });
    const runnerId = idle.runnerId;
    const calls: [string, () => Promise<unknown>][] = [
      ["ParseContextURL", () => member.runners.parseContextURL({ runnerId, contextUrl: "https://github.com/a/b" })],
      ["CheckAuthenticationForHost", () => member.runners.checkAuthenticationForHost({ runnerId, host: "github.com" })],
      [
        "CheckRepositoryAccess",
        () => member.runners.checkRepositoryAccess({ runnerId, repositoryUrl: "https://github.com/a/b" }),
      ],
      ["SearchRepositories", () => member.runners.searchRepositories({ runnerId, searchString: "a", limit: 10 })],
      ["ListSCMOrganizations", () => member.runners.listSCMOrganizations({ runnerId, scmHost: "github.com" })],
    ];
    for (const [name, call] of calls) {
      const started = Date.now();
      const error = await callError(call());
      expect([name, error.code, error.rawMessage]).toEqual([name, Code.Unavailable, "runner is not connected"]);
      // Not after waiting for an answer (10 s).
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  });

  it("is unavailable again once its stream ends", async () => {
    const other = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "comes and goes" });
    const f = await startFakeRunner(other);
    await member.runners.checkAuthenticationForHost({ runnerId: other.runnerId, host: "github.com" });
    await f.stop();
    const started = Date.now();
    const error = await callError(
      member.runners.checkAuthenticationForHost({ runnerId: other.runnerId, host: "github.com" }),
    );
    expect(error.code).toBe(Code.Unavailable);
    expect(Date.now() - started).toBeLessThan(3_000);
    // And reachable once more when it reconnects.
    const again = await startFakeRunner(other);
    await member.runners.checkAuthenticationForHost({ runnerId: other.runnerId, host: "github.com" });
    await again.stop();
  });

  it("is unavailable once the server holding its stream shuts down", async () => {
    const serverC = await startTestServer({ sql: db.sql });
    const other = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "server goes away" });
    const f = await startFakeRunner(other, { streamTo: serverC.baseUrl, answerTo: serverC.baseUrl });
    await member.runners.checkAuthenticationForHost({ runnerId: other.runnerId, host: "github.com" });
    await serverC.close();
    expect(await probe.isConnected(other.runnerId)).toBe(false);
    const error = await callError(
      member.runners.checkAuthenticationForHost({ runnerId: other.runnerId, host: "github.com" }),
    );
    expect(error.code).toBe(Code.Unavailable);
    await f.stop();
    expect(f.streamError).toBeUndefined();
  });
});

// ── deadline ───────────────────────────────────────────────────────────────────────────

describe("deadline", () => {
  it("a runner that never answers → deadline_exceeded within the caller's deadline; the late answer is dropped", async () => {
    const held: WatchRequestsResponse[] = [];
    fake.answer = (call) => {
      held.push(call);
      return undefined;
    };
    const started = Date.now();
    const error = await callError(
      member.runners.parseContextURL(
        { runnerId: runner.runnerId, contextUrl: "https://github.com/acme/slow" },
        { timeoutMs: 500 },
      ),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(3_000);
    await vi.waitFor(() => expect(held).toHaveLength(1));

    // The server ends the call itself: a client that sends its deadline but keeps no timer of
    // its own still gets deadline_exceeded in time.
    const rawStarted = Date.now();
    const res = await fetch(`${serverA.baseUrl}/gitpod.v1.RunnerService/ParseContextURL`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${org.member.token}`,
        "connect-timeout-ms": "500",
      },
      body: JSON.stringify({ runnerId: runner.runnerId, contextUrl: "https://github.com/acme/slower" }),
    });
    expect(await res.json()).toMatchObject({ code: "deadline_exceeded" });
    expect(Date.now() - rawStarted).toBeLessThan(3_000);
    expect(held).toHaveLength(2);
    const late = held[0] as WatchRequestsResponse;

    // The call is over: the late answer is accepted ({}) and goes nowhere.
    const answers = clientsFor(serverB.baseUrl, runner.token).interaction;
    const ack = await answers.sendResponse({
      runnerId: runner.runnerId,
      requestId: late.requestId,
      response: { case: "callParseContext", value: { resp: { originalContextUrl: "LATE" } } },
    });
    expect(ack.$typeName).toBe("gitpod.v1.SendResponseResponse");
    await vi.waitFor(async () => {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from relay_calls`;
      expect(row?.n).toBe(0);
    });

    // The next call gets its own answer, not the late one.
    fake.answer = cannedAnswer;
    const next = await member.runners.parseContextURL({
      runnerId: runner.runnerId,
      contextUrl: "https://github.com/acme/next",
    });
    expect(next.originalContextUrl).toBe("https://github.com/acme/next");
  });

  it("the server's own deadline (RUNNERPLANE_REQUEST_TIMEOUT_MS) ends a call for a client that sends none", async () => {
    const impatient = await startTestServer({ sql: db.sql, config: { requestTimeoutMs: 400 } });
    try {
      fake.answer = () => undefined;
      const started = Date.now();
      const res = await fetch(`${impatient.baseUrl}/gitpod.v1.RunnerService/ParseContextURL`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${org.member.token}` },
        body: JSON.stringify({ runnerId: runner.runnerId, contextUrl: "https://github.com/acme/no-deadline" }),
      });
      expect(await res.json()).toMatchObject({ code: "deadline_exceeded" });
      // Well before the runner's own 10 s would have run out.
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await impatient.close();
    }
  });

  it("gives the runner at most 10 s, even when the caller would wait longer", async () => {
    const held: WatchRequestsResponse[] = [];
    fake.answer = (call) => {
      held.push(call);
      return undefined;
    };
    const pending = member.runners.checkRepositoryAccess(
      { runnerId: runner.runnerId, repositoryUrl: "https://github.com/acme/patient" },
      { timeoutMs: 60_000 },
    );
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const call = held[0] as WatchRequestsResponse;
    const [row] = await db.sql<{ ms: number }[]>`
      select extract(epoch from deadline - created_at) * 1000 as ms from relay_calls where id = ${call.requestId}`;
    expect(Number(row?.ms)).toBeLessThanOrEqual(10_000);
    expect(Number(row?.ms)).toBeGreaterThan(9_000);
    const answers = clientsFor(serverB.baseUrl, runner.token).interaction;
    await answers.sendResponse({
      runnerId: runner.runnerId,
      requestId: call.requestId,
      response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage: "in time" } } },
    });
    expect((await pending).errorMessage).toBe("in time");
  });

  it("a second answer to the same call is dropped", async () => {
    const answers = clientsFor(serverB.baseUrl, runner.token).interaction;
    fake.answer = (call) => {
      void answers
        .sendResponse({
          runnerId: runner.runnerId,
          requestId: call.requestId,
          response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage: "first" } } },
        })
        .then(() =>
          answers.sendResponse({
            runnerId: runner.runnerId,
            requestId: call.requestId,
            response: {
              case: "callCheckRepositoryAccess",
              value: { resp: { hasAccess: false, errorMessage: "second" } },
            },
          }),
        );
      return undefined;
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: runner.runnerId,
      repositoryUrl: "https://github.com/acme/twice",
    });
    expect(got).toMatchObject({ hasAccess: true, errorMessage: "first" });
  });
});

// ── choosing a runner ──────────────────────────────────────────────────────────────────

describe("ParseContextURL without runner_id", () => {
  let pickOrg: SeededOrganization;
  let alice: SeededMember;
  let bob: SeededMember;
  let asAlice: Clients;
  let asBob: Clients;

  /** An active (renewed) runner whose fake answers with `label` as scm_id. */
  async function activeRunner(label: string, token: string, options: Parameters<typeof createTestRunner>[2] = {}) {
    const r = await createTestRunner(serverA.baseUrl, token, { name: label, ...options });
    await r.clients.interaction.updateRunnerStatus({ runnerId: r.runnerId, version: "1.0.0" });
    const f = await startFakeRunner(r, {
      answer: answering("callParseContext", { resp: { scmId: label } }),
    });
    return { runner: r, fake: f };
  }

  const pick = (who: Clients, contextUrl: string) => who.runners.parseContextURL({ contextUrl });

  beforeAll(async () => {
    pickOrg = await seedOrganization(db.sql, "Pickers Ltd");
    alice = await seedMember(db.sql, pickOrg.organization.id, { name: "Alice" });
    bob = await seedMember(db.sql, pickOrg.organization.id, { name: "Bob" });
    asAlice = clientsFor(serverA.baseUrl, alice.token);
    asBob = clientsFor(serverA.baseUrl, bob.token);
  });

  it("picks no runner when none is ACTIVE: a runner that never renewed, or someone else's user runner", async () => {
    // An org runner that signed up (and holds a stream) but never reported: not ACTIVE.
    const quiet = await createTestRunner(serverA.baseUrl, pickOrg.admin.token, { name: "quiet" });
    await clientsFor(serverA.baseUrl, pickOrg.admin.token).configuration.createSCMIntegration({
      runnerId: quiet.runnerId,
      scmId: "github",
      host: "github.com",
      pat: true,
    });
    await startFakeRunner(quiet);
    // Alice's own runner on her machine, ACTIVE and connected.
    await activeRunner("alice-laptop", alice.token, { provider: RunnerProvider.LINUX_HOST });

    const error = await callError(pick(asBob, "https://github.com/acme/app"));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("github.com");
    // Alice may use her own.
    expect((await pick(asAlice, "https://github.com/acme/app")).scmId).toBe("alice-laptop");
  });

  it("picks an ACTIVE runner whose schema's default hosts cover the host, with the caller as principal", async () => {
    const first = await activeRunner("defaults", pickOrg.admin.token);
    expect((await pick(asBob, "https://gitlab.com/group/project")).scmId).toBe("defaults");
    expect(lastCall(first.fake, "callParseContext").value).toMatchObject({
      contextUrl: "https://gitlab.com/group/project",
      principalId: bob.member.id,
    });
    // A host no default covers and no integration names.
    const error = await callError(pick(asBob, "https://git.pick.example/team/repo"));
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it("picks a runner whose SCM integration covers the host, before an older one that only has defaults", async () => {
    const withIntegration = await activeRunner("integrated", pickOrg.admin.token);
    const pickAdmin = clientsFor(serverA.baseUrl, pickOrg.admin.token);
    for (const [scmId, host] of [
      ["gitlab", "git.pick.example"],
      ["gitlab", "gitlab.com"],
    ] as const) {
      await pickAdmin.configuration.createSCMIntegration({
        runnerId: withIntegration.runner.runnerId,
        scmId,
        host,
        pat: true,
      });
    }
    expect((await pick(asBob, "https://git.pick.example/team/repo")).scmId).toBe("integrated");
    expect((await pick(asBob, "https://gitlab.com/group/project")).scmId).toBe("integrated");
    // Hosts compare case-insensitively.
    expect((await pick(asBob, "https://GIT.PICK.EXAMPLE/team/repo")).scmId).toBe("integrated");
  });

  it("does not pick a DEGRADED runner, and picks it again once it recovers", async () => {
    const r = await createTestRunner(serverA.baseUrl, pickOrg.admin.token, { name: "flaky" });
    await clientsFor(serverA.baseUrl, pickOrg.admin.token).configuration.createSCMIntegration({
      runnerId: r.runnerId,
      scmId: "github",
      host: "git.flaky.example",
      pat: true,
    });
    await startFakeRunner(r, { answer: answering("callParseContext", { resp: { scmId: "flaky" } }) });
    await r.clients.interaction.updateRunnerStatus({ runnerId: r.runnerId, degredationMessage: "disk full" });
    expect((await callError(pick(asBob, "https://git.flaky.example/a/b"))).code).toBe(Code.FailedPrecondition);
    await r.clients.interaction.updateRunnerStatus({ runnerId: r.runnerId, degredationMessage: "" });
    expect((await pick(asBob, "https://git.flaky.example/a/b")).scmId).toBe("flaky");
  });

  it("does not pick a runner being deleted", async () => {
    const r = await activeRunner("leaving", pickOrg.admin.token);
    const pickAdmin = clientsFor(serverA.baseUrl, pickOrg.admin.token);
    await pickAdmin.configuration.createSCMIntegration({
      runnerId: r.runner.runnerId,
      scmId: "github",
      host: "git.leaving.example",
      pat: true,
    });
    expect((await pick(asBob, "https://git.leaving.example/a/b")).scmId).toBe("leaving");
    await pickAdmin.runners.deleteRunner({ runnerId: r.runner.runnerId });
    expect((await callError(pick(asBob, "https://git.leaving.example/a/b"))).code).toBe(Code.FailedPrecondition);
  });

  it("with a runner_id asks that runner, whatever host it is", async () => {
    const r = await activeRunner("named", pickOrg.admin.token);
    const got = await asBob.runners.parseContextURL({
      runnerId: r.runner.runnerId,
      contextUrl: "https://nobody.covers.example/a/b",
    });
    expect(got.scmId).toBe("named");
  });
});

// ── events ─────────────────────────────────────────────────────────────────────────────

describe("events pushed to the runner's stream", () => {
  /** Waits until the fake has received an event of `kind` matching `match`. */
  async function expectEvent<C extends RequestCase>(
    f: FakeRunner,
    kind: C,
    match: Partial<RequestValue<C>> = {},
    since = 0,
  ) {
    await vi.waitFor(
      () => {
        const events = f.received.slice(since).filter((m) => m.request.case === kind);
        expect(events.map((m) => m.request.value)).toContainEqual(expect.objectContaining(match as object));
      },
      { timeout: 5_000, interval: 20 },
    );
  }

  it("UpdateRunner tells the runner its configuration changed", async () => {
    const since = fake.received.length;
    await admin.runners.updateRunner({ runnerId: runner.runnerId, name: "renamed runner" });
    await expectEvent(fake, "eventRunnerConfigurationChange", {}, since);
    const event = fake.received.slice(since).find((m) => m.request.case === "eventRunnerConfigurationChange");
    expect(event?.requestId).toMatch(uuid);
  });

  it("reaches every stream of the runner, on both servers", async () => {
    const other = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "two listeners" });
    const onB = await startFakeRunner(other);
    const onA = await startFakeRunner(other, { streamTo: serverA.baseUrl });
    await admin.runners.updateRunner({ runnerId: other.runnerId, spec: { configuration: { autoUpdate: true } } });
    await expectEvent(onA, "eventRunnerConfigurationChange");
    await expectEvent(onB, "eventRunnerConfigurationChange");
    // Only that runner's streams.
    const since = fake.received.length;
    await admin.runners.updateRunner({ runnerId: other.runnerId, name: "two listeners again" });
    await expectEvent(onB, "eventRunnerConfigurationChange", {}, 1);
    expect(fake.received.slice(since).filter((m) => m.request.case === "eventRunnerConfigurationChange")).toEqual([]);
    await onA.stop();
    await onB.stop();
  });

  it("DeleteRunner of a signed-up runner tells it; it acknowledges by deleting itself", async () => {
    const leaving = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "leaving" });
    const f = await startFakeRunner(leaving);
    await admin.runners.deleteRunner({ runnerId: leaving.runnerId });
    await expectEvent(f, "eventRunnerConfigurationChange");
    const { runner: read } = await leaving.clients.runners.getRunner({ runnerId: leaving.runnerId });
    expect(read?.spec?.desiredPhase).toBe(RunnerPhase.DELETED);
    expect(read?.status?.phase).toBe(RunnerPhase.DELETING);
    // The runner cleans up and acknowledges.
    await clientsFor(serverB.baseUrl, leaving.token).runners.deleteRunner({ runnerId: leaving.runnerId });
    expect((await callError(admin.runners.getRunner({ runnerId: leaving.runnerId }))).code).toBe(Code.NotFound);
    await f.stop();
  });

  it("SCM integration create, update and delete each name the integration", async () => {
    let since = fake.received.length;
    const { id } = await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "github",
      host: "git.events.example",
      pat: true,
    });
    await expectEvent(fake, "eventScmIntegrationChange", { scmIntegrationId: id }, since);

    since = fake.received.length;
    await admin.configuration.updateSCMIntegration({ id, oauthClientId: "client-1", oauthPlaintextClientSecret: "s" });
    await expectEvent(fake, "eventScmIntegrationChange", { scmIntegrationId: id }, since);

    since = fake.received.length;
    await admin.configuration.deleteSCMIntegration({ id });
    await expectEvent(fake, "eventScmIntegrationChange", { scmIntegrationId: id }, since);
  });

  describe("host authentication tokens", () => {
    const OAUTH = HostAuthenticationTokenSource.OAUTH;
    const PAT = HostAuthenticationTokenSource.PAT;

    async function hostToken(who: Clients, host: string, source: HostAuthenticationTokenSource) {
      const { token } = await who.configuration.createHostAuthenticationToken({
        runnerId: runner.runnerId,
        host,
        token: `secret-${randomUUID()}`,
        source,
      });
      return token?.id as string;
    }

    async function integration(host: string) {
      const { id } = await admin.configuration.createSCMIntegration({
        runnerId: runner.runnerId,
        scmId: "github",
        host,
        pat: true,
        oauthClientId: "client",
        oauthPlaintextClientSecret: "secret",
      });
      return id;
    }

    it("DeleteHostAuthenticationToken names the host and the subject", async () => {
      const host = "git.tokens1.example";
      await integration(host);
      const id = await hostToken(member, host, PAT);
      const since = fake.received.length;
      await member.configuration.deleteHostAuthenticationToken({ id });
      await expectEvent(
        fake,
        "eventHostAuthenticationTokenDeleted",
        { host, principalId: org.member.member.id },
        since,
      );
    });

    it("turning OAuth off deletes the OAuth tokens and says so for each", async () => {
      const host = "git.tokens2.example";
      const id = await integration(host);
      await hostToken(member, host, OAUTH);
      await hostToken(robot, host, OAUTH);
      await hostToken(admin, host, PAT);
      const since = fake.received.length;
      await admin.configuration.updateSCMIntegration({ id, oauthClientId: "" });
      await expectEvent(
        fake,
        "eventHostAuthenticationTokenDeleted",
        { host, principalId: org.member.member.id },
        since,
      );
      await expectEvent(
        fake,
        "eventHostAuthenticationTokenDeleted",
        { host, principalId: org.serviceAccount.member.id },
        since,
      );
      await expectEvent(fake, "eventScmIntegrationChange", { scmIntegrationId: id }, since);
      // The PAT token stayed, and nothing claimed otherwise.
      const deleted = fake.messagesOf("eventHostAuthenticationTokenDeleted");
      expect(deleted.filter((d) => d.value.host === host).map((d) => d.value.principalId)).not.toContain(
        org.admin.member.id,
      );
    });

    it("turning PAT off deletes the PAT tokens and says so", async () => {
      const host = "git.tokens3.example";
      const id = await integration(host);
      await hostToken(admin, host, PAT);
      const since = fake.received.length;
      await admin.configuration.updateSCMIntegration({ id, pat: false });
      await expectEvent(fake, "eventHostAuthenticationTokenDeleted", { host, principalId: org.admin.member.id }, since);
      await expectEvent(fake, "eventScmIntegrationChange", { scmIntegrationId: id }, since);
    });

    it("deleting the integration deletes every token of its host and says so", async () => {
      const host = "git.tokens4.example";
      const id = await integration(host);
      await hostToken(member, host, OAUTH);
      await hostToken(admin, host, PAT);
      const since = fake.received.length;
      await admin.configuration.deleteSCMIntegration({ id });
      await expectEvent(
        fake,
        "eventHostAuthenticationTokenDeleted",
        { host, principalId: org.member.member.id },
        since,
      );
      await expectEvent(fake, "eventHostAuthenticationTokenDeleted", { host, principalId: org.admin.member.id }, since);
      await expectEvent(fake, "eventScmIntegrationChange", { scmIntegrationId: id }, since);
    });
  });
});

// ── security ───────────────────────────────────────────────────────────────────────────

describe("a runner's streams and answers are its own", () => {
  /** Drains a stream; resolves when it ends, rejects with its error. */
  async function drain(stream: AsyncIterable<unknown>) {
    for await (const _ of stream) {
      // nothing is expected before the error
    }
  }

  it("another runner's token cannot watch, answer or report for it (not_found)", async () => {
    const intruder = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "intruder" });
    const foreign = await createTestRunner(serverA.baseUrl, otherOrg.admin.token, { name: "foreign" });
    for (const who of [intruder, foreign]) {
      const as = clientsFor(serverB.baseUrl, who.token).interaction;
      expect((await callError(drain(as.watchRequests({ runnerId: runner.runnerId })))).code).toBe(Code.NotFound);
      expect((await callError(as.sendResponse({ runnerId: runner.runnerId, requestId: randomUUID() }))).code).toBe(
        Code.NotFound,
      );
      expect(await callError(as.updateRunnerStatus({ runnerId: runner.runnerId, version: "evil" }))).toMatchObject({
        code: Code.NotFound,
      });
    }
  });

  it("another runner cannot answer its calls, even naming itself", async () => {
    const intruder = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "impostor" });
    const as = clientsFor(serverB.baseUrl, intruder.token).interaction;
    const real = clientsFor(serverB.baseUrl, runner.token).interaction;
    fake.answer = async (call) => {
      // The impostor answers first, under its own id; it is dropped.
      await as.sendResponse({
        runnerId: intruder.runnerId,
        requestId: call.requestId,
        response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: true, errorMessage: "forged" } } },
      });
      await real.sendResponse({
        runnerId: runner.runnerId,
        requestId: call.requestId,
        response: { case: "callCheckRepositoryAccess", value: { resp: { hasAccess: false, errorMessage: "genuine" } } },
      });
      return undefined;
    };
    const got = await member.runners.checkRepositoryAccess({
      runnerId: runner.runnerId,
      repositoryUrl: "https://github.com/acme/forged",
    });
    expect(got).toMatchObject({ hasAccess: false, errorMessage: "genuine" });
    expect(fake.answerErrors).toEqual([]);
  });

  it("a user's token cannot call WatchRequests, SendResponse or UpdateRunnerStatus (permission_denied)", async () => {
    for (const token of [org.admin.token, org.member.token, org.serviceAccount.token]) {
      const as = clientsFor(serverB.baseUrl, token).interaction;
      expect((await callError(drain(as.watchRequests({ runnerId: runner.runnerId })))).code).toBe(
        Code.PermissionDenied,
      );
      expect((await callError(as.sendResponse({ runnerId: runner.runnerId, requestId: randomUUID() }))).code).toBe(
        Code.PermissionDenied,
      );
      expect((await callError(as.updateRunnerStatus({ runnerId: runner.runnerId }))).code).toBe(Code.PermissionDenied);
    }
  });

  it("an answer to an unknown request id is accepted and dropped", async () => {
    const as = clientsFor(serverB.baseUrl, runner.token).interaction;
    const ack = await as.sendResponse({
      runnerId: runner.runnerId,
      requestId: randomUUID(),
      response: { case: "callPing", value: {} },
    });
    expect(ack.$typeName).toBe("gitpod.v1.SendResponseResponse");
  });
});

// ── ValidateRunnerConfiguration ────────────────────────────────────────────────────────

describe("ValidateRunnerConfiguration asks a connected runner", () => {
  const scm = (init: { host: string; secret?: string }) =>
    admin.configuration.validateRunnerConfiguration({
      runnerId: runner.runnerId,
      config: {
        case: "scmIntegration",
        value: {
          scmId: "github",
          host: init.host,
          pat: true,
          oauthClientId: "oauth-client",
          ...(init.secret ? { oauthClientSecret: { case: "oauthPlaintextClientSecret", value: init.secret } } : {}),
        },
      },
    });

  it("sends the SCM integration with the secret sealed for the runner, and merges a positive answer", async () => {
    const res = await scm({ host: "git.validate1.example", secret: "s3cret-value" });
    expect(res.result).toEqual({ case: "scmIntegration", value: expect.objectContaining({ valid: true }) });
    const call = lastCall(fake, "callValidateConfig");
    expect(call.value.config.case).toBe("scm");
    if (call.value.config.case !== "scm") return;
    const sent = call.value.config.value;
    expect(sent).toMatchObject({
      scmId: "github",
      host: "git.validate1.example",
      pat: true,
      runnerId: runner.runnerId,
      oauth: { clientId: "oauth-client" },
    });
    const sealed = sent.oauth?.encryptedClientSecret ?? new Uint8Array();
    expect(new TextDecoder().decode(sealed)).not.toContain("s3cret-value");
    expect(await openSealed(runner, sealed)).toBe("s3cret-value");
  });

  it("a runner answering invalid makes the result invalid with its error", async () => {
    fake.answer = answering("callValidateConfig", {
      result: { case: "scm", value: { valid: false, oauthError: "bad secret" } },
    });
    const res = await scm({ host: "git.validate2.example", secret: "wrong" });
    expect(res.result.case).toBe("scmIntegration");
    expect(res.result.value).toMatchObject({ valid: false, oauthError: "bad secret" });
  });

  it("a runner saying invalid without a reason still makes the result invalid", async () => {
    fake.answer = answering("callValidateConfig", { result: { case: "scm", value: { valid: false } } });
    const res = await scm({ host: "git.validate3.example", secret: "x" });
    expect(res.result.value).toMatchObject({ valid: false });
    if (res.result.case === "scmIntegration") expect(res.result.value.oauthError).toBeTruthy();
  });

  it("merges the runner's environment class errors with the server's", async () => {
    fake.answer = answering("callValidateConfig", {
      result: {
        case: "environmentClass",
        value: { valid: false, configurationErrors: [{ key: "cpu", error: "no machine this large" }] },
      },
    });
    const res = await admin.configuration.validateRunnerConfiguration({
      runnerId: runner.runnerId,
      config: {
        case: "environmentClass",
        value: {
          displayName: "Huge",
          description: "Lots of cores",
          configuration: [
            { key: "cpu", value: "64" },
            { key: "memory", value: "8192" },
          ],
        },
      },
    });
    expect(res.result.case).toBe("environmentClass");
    expect(res.result.value).toMatchObject({
      valid: false,
      configurationErrors: [{ key: "cpu", error: "no machine this large" }],
    });
    const call = lastCall(fake, "callValidateConfig");
    expect(call.value.config).toMatchObject({ case: "environmentClass", value: { displayName: "Huge" } });
  });

  it("a runner error leaves the server's checks as the answer", async () => {
    fake.answer = () => ({
      case: "error",
      value: { code: SendResponseRequest_ErrorCode.UNIMPLEMENTED, message: "cannot validate" },
    });
    const res = await scm({ host: "git.validate4.example", secret: "x" });
    expect(res.result.value).toMatchObject({ valid: true });
  });

  it("with no runner connected, the server's checks are the answer", async () => {
    const idle = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "validates alone" });
    const valid = await admin.configuration.validateRunnerConfiguration({
      runnerId: idle.runnerId,
      config: {
        case: "scmIntegration",
        value: {
          scmId: "github",
          host: "git.alone.example",
          oauthClientId: "c",
          oauthClientSecret: { case: "oauthPlaintextClientSecret", value: "s" },
        },
      },
    });
    expect(valid.result.value).toMatchObject({ valid: true });
    const invalid = await admin.configuration.validateRunnerConfiguration({
      runnerId: idle.runnerId,
      config: { case: "scmIntegration", value: { scmId: "nope", host: "git.alone.example", pat: true } },
    });
    expect(invalid.result.value).toMatchObject({ valid: false });
  });
});

// ── the relay itself ───────────────────────────────────────────────────────────────────

describe("createRelay", () => {
  it("a stream that ends before it finished registering leaves the runner disconnected", async () => {
    const r = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "hangs up at once" });
    const relay = createRelay({ sql: db.sql, clock: systemClock, log: silentLogger });
    try {
      const abort = new AbortController();
      const iterator = relay.stream(r.runnerId, abort.signal)[Symbol.asyncIterator]();
      const first = iterator.next();
      abort.abort();
      expect((await first).done).toBe(true);
      // Its presence goes (the delete is not awaited), and stays gone.
      await vi.waitFor(async () => expect(await relay.isConnected(r.runnerId)).toBe(false), { timeout: 2_000 });
    } finally {
      await relay.close();
    }
  });

  it("a stream whose signal already aborted never registers", async () => {
    const r = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "gone before it came" });
    const relay = createRelay({ sql: db.sql, clock: systemClock, log: silentLogger });
    try {
      const abort = new AbortController();
      abort.abort();
      const iterator = relay.stream(r.runnerId, abort.signal)[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(true);
      // Its presence goes (the delete is not awaited), and stays gone.
      await vi.waitFor(async () => expect(await relay.isConnected(r.runnerId)).toBe(false), { timeout: 2_000 });
    } finally {
      await relay.close();
    }
  });

  it("a call to a runner whose stream is on no live server is unavailable", async () => {
    const r = await createTestRunner(serverA.baseUrl, org.admin.token, { name: "stale presence" });
    // A process that died without cleaning up: its row is older than the presence timeout.
    await db.sql`insert into runner_connections (stream_id, runner_id, server_id, connected_at, last_seen)
                 values (${randomUUID()}, ${r.runnerId}, ${randomUUID()}, now() - interval '5 minutes',
                         now() - interval '1 minute')`;
    const error = await callError(member.runners.checkAuthenticationForHost({ runnerId: r.runnerId, host: "x" }));
    expect(error.code).toBe(Code.Unavailable);
  });
});

describe("the file's long-lived runner", () => {
  it("kept its stream and never failed to answer", () => {
    expect(fake.streamError).toBeUndefined();
    expect(fake.answerErrors).toEqual([]);
  });
});
