/**
 * The relay's extension lane (docs/relay.md, "Protocol extensions"): calls of runnerplane's own
 * extensions reach only streams that named the extension, across processes as on the gitpod lane,
 * and only the runner itself may open or answer its extension stream.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { RunnerExtensionService } from "@runnerplane/api/runnerplane/runner/v1/runner_extension_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { createSql, type Sql } from "../db/index.js";
import { silentLogger } from "../logging/index.js";
import {
  bearer,
  callError,
  createTestDatabase,
  createTestRunner,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";
import { createExtensionRelay, createRelay, type ExtensionRelay } from "./relay.js";

let db: TestDatabase;
let server: TestServer;
let sqlB: Sql;
let org: SeededOrganization;
let runner: TestRunner;
let other: TestRunner;
/** Two "processes": their own relay instances and pools on one database. */
let relayA: ExtensionRelay;
let relayB: ExtensionRelay;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer({ sql: db.sql });
  sqlB = createSql(db.url, { max: 3, applicationName: "runnerplane-test-b" });
  org = await seedOrganization(server.sql, "Lanes");
  runner = await createTestRunner(server.baseUrl, org.admin.token);
  other = await createTestRunner(server.baseUrl, org.admin.token);
  relayA = createExtensionRelay({ sql: server.sql, clock: systemClock, log: silentLogger });
  relayB = createExtensionRelay({ sql: sqlB, clock: systemClock, log: silentLogger });
});

afterAll(async () => {
  await relayA?.close();
  await relayB?.close();
  await sqlB?.end();
  await server?.close();
  await db?.drop();
});

const authorize = {
  case: "callOauthAuthorize" as const,
  value: {
    integrationId: "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01",
    host: "github.com",
    redirectUri: "http://x/cb",
    state: "s",
    codeChallenge: "c",
  },
};

describe("the extension lane", () => {
  it("carries a call made at one process to a stream held by another that named the extension", async () => {
    const stop = new AbortController();
    const stream = relayB.stream(runner.runnerId, stop.signal, ["oauth-v1"])[Symbol.asyncIterator]();
    const first = stream.next();
    await until(() => relayA.isConnected(runner.runnerId, "oauth-v1"));
    const answered = relayA.call(runner.runnerId, authorize, 10_000, new AbortController().signal);
    const { value: call } = await first;
    expect(call?.request.case).toBe("callOauthAuthorize");
    await relayB.answer(runner.runnerId, {
      $typeName: "runnerplane.runner.v1.SendExtensionResponseRequest",
      runnerId: runner.runnerId,
      requestId: call?.requestId ?? "",
      response: {
        case: "callOauthAuthorize",
        value: {
          $typeName: "runnerplane.runner.v1.CallOAuthAuthorize.Response",
          authorizeUrl: "https://scm/authorize",
        },
      },
    });
    const answer = await answered;
    expect(answer.response).toMatchObject({
      case: "callOauthAuthorize",
      value: { authorizeUrl: "https://scm/authorize" },
    });
    stop.abort();
  });

  it("does not send a call to a stream that did not name its extension, nor count a gitpod stream", async () => {
    const stop = new AbortController();
    const bare = relayB.stream(other.runnerId, stop.signal, [])[Symbol.asyncIterator]();
    void bare.next();
    const gitpod = createRelay({ sql: sqlB, clock: systemClock, log: silentLogger });
    void gitpod.stream(other.runnerId, stop.signal)[Symbol.asyncIterator]().next();
    await until(async () => (await relayA.isConnected(other.runnerId)) && (await gitpod.isConnected(other.runnerId)));
    expect(await relayA.isConnected(other.runnerId, "oauth-v1")).toBe(false);
    const error = await relayA
      .call(other.runnerId, authorize, 5_000, new AbortController().signal)
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.Unavailable, rawMessage: "runner is not connected for oauth-v1" });
    stop.abort();
    await gitpod.close();
  });

  it("lets only the runner itself open and answer its extension stream", async () => {
    const client = (token: string) =>
      createClient(
        RunnerExtensionService,
        createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", interceptors: [bearer(token)] }),
      );
    const asUser = await callError(
      client(org.member.token).sendExtensionResponse({
        runnerId: runner.runnerId,
        requestId: authorize.value.integrationId,
      }),
    );
    expect(asUser.code).toBe(Code.PermissionDenied);
    const asOther = await callError(
      client(other.token).sendExtensionResponse({
        runnerId: runner.runnerId,
        requestId: authorize.value.integrationId,
      }),
    );
    expect(asOther.code).toBe(Code.NotFound);
    const watch = async () => {
      for await (const _ of client(other.token).watchExtensionRequests({ runnerId: runner.runnerId })) break;
    };
    expect((await callError(watch())).code).toBe(Code.NotFound);
  });
});

async function until(check: () => Promise<boolean>) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("not within 10 s");
}
