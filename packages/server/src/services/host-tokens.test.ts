/**
 * Host authentication tokens over the real server and Postgres (behaviour.md §2, §5;
 * docs/configuration.md): who may create, see, update and delete them, the one way a value
 * leaves the server (GetHostAuthenticationTokenValue, for the runner), encryption at rest and
 * key rotation.
 */
import { randomBytes } from "node:crypto";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyRing, type SecretKey } from "../crypto/index.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  expectNoPlaintext,
  type ManualClock,
  manualClock,
  type SeededMember,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";

const k1: SecretKey = { id: "k1", key: randomBytes(32) };
const k2: SecretKey = { id: "k2", key: randomBytes(32) };

let server: TestServer;
let clock: ManualClock;
let org: SeededOrganization;
let otherOrg: SeededOrganization;
let colleague: SeededMember;
let admin: Clients;
let member: Clients;
let robot: Clients;
let peer: Clients;
let otherAdmin: Clients;
let runner: TestRunner;

beforeAll(async () => {
  clock = manualClock(new Date("2026-04-01T12:00:00Z"));
  server = await startTestServer({ clock, keyRing: createKeyRing([k1]) });
  org = await seedOrganization(server.sql, "Tokens Inc");
  otherOrg = await seedOrganization(server.sql, "Elsewhere Ltd");
  colleague = await seedMember(server.sql, org.organization.id, { name: "Colleague" });
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
  robot = clientsFor(server.baseUrl, org.serviceAccount.token);
  peer = clientsFor(server.baseUrl, colleague.token);
  otherAdmin = clientsFor(server.baseUrl, otherOrg.admin.token);
  runner = await newRunner();
});
afterAll(() => server.close());

const unknownId = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";
const OAUTH = HostAuthenticationTokenSource.OAUTH;
const PAT = HostAuthenticationTokenSource.PAT;

let hostCounter = 0;
/** A host no other test uses. */
const freshHost = () => `scm${++hostCounter}.example.com`;
/** A distinctive secret value. */
const secret = (label: string) => `${label}-${randomBytes(12).toString("hex")}`;

function newRunner(options: Parameters<typeof createTestRunner>[2] = {}, token = org.admin.token) {
  return createTestRunner(server.baseUrl, token, options);
}

type CreateInit = Parameters<Clients["configuration"]["createHostAuthenticationToken"]>[0];

async function create(who: Clients, init: CreateInit) {
  const { token } = await who.configuration.createHostAuthenticationToken({
    runnerId: runner.runnerId,
    token: secret("tok"),
    source: OAUTH,
    ...init,
  });
  if (!token) throw new Error("CreateHostAuthenticationToken answered without a token");
  return token;
}

/** What the runner reads for a subject and host. */
async function readValue(target: TestRunner, principalId: string, host: string, clients = target.clients) {
  const res = await clients.interaction.getHostAuthenticationTokenValue({
    runnerId: target.runnerId,
    principalId,
    host,
  });
  return {
    tokenId: res.tokenId,
    value: new TextDecoder().decode(res.value),
    refreshToken: new TextDecoder().decode(res.refreshToken),
    source: res.source,
    expiresAt: res.expiresAt ? timestampDate(res.expiresAt) : undefined,
    integrationId: res.integrationId,
  };
}

async function listIds(
  who: Clients,
  filter: Parameters<Clients["configuration"]["listHostAuthenticationTokens"]>[0]["filter"] = {},
) {
  const ids: string[] = [];
  let token = "";
  do {
    const page = await who.configuration.listHostAuthenticationTokens({ filter, pagination: { pageSize: 100, token } });
    ids.push(...page.tokens.map((t) => t.id));
    token = page.pagination?.nextToken ?? "";
  } while (token);
  return ids.sort();
}

function post(path: string, token: string, body: unknown) {
  return fetch(`${server.baseUrl}/api/gitpod.v1.${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

describe("CreateHostAuthenticationToken", () => {
  it("creates a token for the caller and answers with metadata only, over plain HTTP", async () => {
    const host = freshHost();
    const value = secret("plain-token");
    const refresh = secret("plain-refresh");
    const res = await post("RunnerConfigurationService/CreateHostAuthenticationToken", org.member.token, {
      runnerId: runner.runnerId,
      host,
      token: value,
      refreshToken: refresh,
      source: "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH",
      expiresAt: "2030-01-02T03:04:05Z",
      scopes: ["repo", "read:user"],
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { token: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(["token"]);
    expect(body.token).toMatchObject({
      runnerId: runner.runnerId,
      userId: org.member.member.id,
      host,
      source: "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH",
      expiresAt: "2030-01-02T03:04:05Z",
      scopes: ["repo", "read:user"],
      subject: { id: org.member.member.id, principal: "PRINCIPAL_USER" },
    });
    expect(body.token.id).toMatch(/^[0-9a-f-]{36}$/);
    const id = body.token.id as string;

    const got = await (
      await post("RunnerConfigurationService/GetHostAuthenticationToken", org.member.token, { id })
    ).text();
    const listed = await (
      await post("RunnerConfigurationService/ListHostAuthenticationTokens", org.admin.token, {
        filter: { runnerId: runner.runnerId },
      })
    ).text();
    expect(JSON.parse(got)).toEqual(body);
    expect(listed).toContain(id);
    for (const answer of [text, got, listed]) {
      for (const plain of [value, refresh]) {
        expect(answer).not.toContain(plain);
        expect(answer).not.toContain(Buffer.from(plain).toString("base64"));
      }
    }
    // The runner reads the values.
    expect(await readValue(runner, org.member.member.id, host)).toEqual({
      tokenId: id,
      value,
      refreshToken: refresh,
      source: OAUTH,
      expiresAt: new Date("2030-01-02T03:04:05Z"),
      integrationId: undefined,
    });
  });

  it("replaces the token of the same runner, subject and host, keeping its id", async () => {
    const host = freshHost();
    const first = await create(member, { host, token: "first-value", refreshToken: "first-refresh", scopes: ["a"] });
    clock.advance(1000);
    const second = await create(member, {
      host: host.toUpperCase(),
      token: "second-value",
      source: PAT,
      scopes: ["b", "c"],
    });
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ host, source: PAT, scopes: ["b", "c"] });
    expect(await readValue(runner, org.member.member.id, host)).toMatchObject({
      tokenId: first.id,
      value: "second-value",
      refreshToken: "",
      source: PAT,
    });
    // Another subject, or another host, gets a token of its own.
    const peers = await create(peer, { host });
    expect(peers.id).not.toBe(first.id);
    const elsewhere = await create(member, { host: freshHost() });
    expect(elsewhere.id).not.toBe(first.id);
  });

  it("replaces, rather than duplicates or fails, under concurrent creates", async () => {
    for (let round = 0; round < 5; round++) {
      const host = freshHost();
      const tokens = await Promise.all(
        Array.from({ length: 10 }, (_, i) => create(member, { host, token: `concurrent-${i}` })),
      );
      expect(new Set(tokens.map((t) => t.id)).size).toBe(1);
      const { value } = await readValue(runner, org.member.member.id, host);
      expect(value).toMatch(/^concurrent-\d+$/);
    }
  });

  it("accepts the deprecated user_id as the subject id of a user", async () => {
    const token = await create(admin, { host: freshHost(), userId: colleague.member.id });
    expect(token.subject).toMatchObject({ id: colleague.member.id, principal: Principal.USER });
    expect(token.userId).toBe(colleague.member.id);
    const error = await callError(create(admin, { host: freshHost(), userId: org.serviceAccount.member.id }));
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("takes a service account as subject, without a deprecated user id", async () => {
    const sa = org.serviceAccount.member.id;
    const token = await create(admin, { host: freshHost(), subject: { id: sa, principal: Principal.SERVICE_ACCOUNT } });
    expect(token.subject).toMatchObject({ id: sa, principal: Principal.SERVICE_ACCOUNT });
    expect(token.userId).toBe("");
    // A service account creating for itself is its own subject too.
    const own = await create(robot, { host: freshHost() });
    expect(own.subject).toMatchObject({ id: sa, principal: Principal.SERVICE_ACCOUNT });
    const mismatch = await callError(
      create(admin, { host: freshHost(), subject: { id: sa, principal: Principal.USER } }),
    );
    expect(mismatch.code).toBe(Code.InvalidArgument);
  });

  it("knows no subject of another org", async () => {
    const error = await callError(
      create(admin, { host: freshHost(), subject: { id: otherOrg.member.member.id, principal: Principal.USER } }),
    );
    expect(error.code).toBe(Code.NotFound);
    const byUserId = await callError(create(admin, { host: freshHost(), userId: otherOrg.member.member.id }));
    expect(byUserId.code).toBe(Code.NotFound);
  });

  it("lets only runner admins and the runner itself create for another subject", async () => {
    const forColleague = { id: colleague.member.id, principal: Principal.USER };
    const denied = await callError(create(member, { host: freshHost(), subject: forColleague }));
    expect(denied.code).toBe(Code.PermissionDenied);
    const deniedByUserId = await callError(create(member, { host: freshHost(), userId: colleague.member.id }));
    expect(deniedByUserId.code).toBe(Code.PermissionDenied);
    // Naming oneself is fine.
    await create(member, { host: freshHost(), subject: { id: org.member.member.id, principal: Principal.USER } });

    const byAdmin = await create(admin, { host: freshHost(), subject: forColleague });
    expect(byAdmin.subject?.id).toBe(colleague.member.id);

    // A runner admin who is not an org admin: the creator of a user runner.
    const laptop = await newRunner({ provider: RunnerProvider.LINUX_HOST, name: "colleague laptop" }, colleague.token);
    const onLaptop = await create(peer, {
      runnerId: laptop.runnerId,
      host: freshHost(),
      subject: { id: org.member.member.id, principal: Principal.USER },
    });
    expect(onLaptop.subject?.id).toBe(org.member.member.id);

    const host = freshHost();
    const byRunner = await create(runner.clients, { host, token: "from-the-oauth-flow", subject: forColleague });
    expect(byRunner).toMatchObject({ runnerId: runner.runnerId, subject: { id: colleague.member.id } });
    expect((await readValue(runner, colleague.member.id, host)).value).toBe("from-the-oauth-flow");
    const byRunnerUserId = await create(runner.clients, { host: freshHost(), userId: colleague.member.id });
    expect(byRunnerUserId.subject?.id).toBe(colleague.member.id);
  });

  it("makes the runner name the subject, of its own org, on itself only", async () => {
    const noSubject = await callError(create(runner.clients, { host: freshHost() }));
    expect(noSubject.code).toBe(Code.InvalidArgument);
    expect(noSubject.rawMessage).toContain("subject");
    const foreign = await callError(
      create(runner.clients, {
        host: freshHost(),
        subject: { id: otherOrg.member.member.id, principal: Principal.USER },
      }),
    );
    expect(foreign.code).toBe(Code.NotFound);
    const other = await newRunner();
    const onOther = await callError(
      create(runner.clients, {
        runnerId: other.runnerId,
        host: freshHost(),
        subject: { id: colleague.member.id, principal: Principal.USER },
      }),
    );
    expect(onOther.code).toBe(Code.NotFound);
  });

  it("needs a runner the caller can see", async () => {
    expect((await callError(create(otherAdmin, { host: freshHost() }))).code).toBe(Code.NotFound);
    expect((await callError(create(admin, { runnerId: unknownId, host: freshHost() }))).code).toBe(Code.NotFound);
    const laptop = await newRunner({ provider: RunnerProvider.LINUX_HOST, name: "peer laptop" }, colleague.token);
    expect((await callError(create(member, { runnerId: laptop.runnerId, host: freshHost() }))).code).toBe(
      Code.NotFound,
    );
  });

  it("requires source OAUTH or PAT", async () => {
    const error = await callError(
      create(member, { host: freshHost(), source: HostAuthenticationTokenSource.UNSPECIFIED }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("source");
    const undefinedNumber = await callError(
      create(member, { host: freshHost(), source: 7 as HostAuthenticationTokenSource }),
    );
    expect(undefinedNumber.code).toBe(Code.InvalidArgument);
  });

  it("takes at most 100 scopes", async () => {
    const scopes = (n: number) => Array.from({ length: n }, (_, i) => `scope-${i}`);
    const error = await callError(create(member, { host: freshHost(), scopes: scopes(101) }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("scopes");
    const ok = await create(member, { host: freshHost(), scopes: scopes(100) });
    expect(ok.scopes).toHaveLength(100);
  });

  it("rejects an empty token or host", async () => {
    expect((await callError(create(member, { host: freshHost(), token: "" }))).code).toBe(Code.InvalidArgument);
    expect((await callError(create(member, { host: "" }))).code).toBe(Code.InvalidArgument);
  });

  it("accepts and stores an expiry in the past", async () => {
    const host = freshHost();
    const past = new Date("2020-05-06T07:08:09Z");
    const token = await create(member, { host, expiresAt: timestampFromDate(past) });
    expect(timestampDate(token.expiresAt ?? timestampFromDate(new Date(0)))).toEqual(past);
    const got = (await member.configuration.getHostAuthenticationToken({ id: token.id })).token;
    expect(got?.expiresAt && timestampDate(got.expiresAt)).toEqual(past);
    expect((await readValue(runner, org.member.member.id, host)).expiresAt).toEqual(past);
  });

  it("takes an integration_id only of an SCM integration of the same runner and host", async () => {
    const host = freshHost();
    const { id: integrationId } = await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "github",
      host,
      pat: true,
    });
    const other = await newRunner();
    const { id: otherRunnersIntegration } = await admin.configuration.createSCMIntegration({
      runnerId: other.runnerId,
      scmId: "github",
      host,
      pat: true,
    });
    const wrongRunner = await callError(create(member, { host, integrationId: otherRunnersIntegration }));
    expect(wrongRunner.code).toBe(Code.InvalidArgument);
    expect(wrongRunner.rawMessage).toContain("integration_id");
    const wrongHost = await callError(create(member, { host: freshHost(), integrationId }));
    expect(wrongHost.code).toBe(Code.InvalidArgument);
    const unknown = await callError(create(member, { host, integrationId: unknownId }));
    expect(unknown.code).toBe(Code.InvalidArgument);

    const token = await create(member, { host: host.toUpperCase(), integrationId, source: PAT });
    expect(token.integrationId).toBe(integrationId);
    expect(await readValue(runner, org.member.member.id, host)).toMatchObject({ integrationId, source: PAT });
    // Ids are case-insensitive: the same runner named in upper case is still the same runner.
    const upper = await create(peer, {
      runnerId: runner.runnerId.toUpperCase(),
      host,
      integrationId: integrationId.toUpperCase(),
    });
    expect(upper).toMatchObject({ runnerId: runner.runnerId, integrationId });
  });
});

describe("Get, List, Update and Delete of host tokens", () => {
  it("let the subject see, update and delete its own token", async () => {
    const host = freshHost();
    const token = await create(member, { host });
    expect((await member.configuration.getHostAuthenticationToken({ id: token.id })).token).toEqual(token);
    await member.configuration.updateHostAuthenticationToken({ id: token.id, token: "updated-by-me" });
    expect((await readValue(runner, org.member.member.id, host)).value).toBe("updated-by-me");
    await member.configuration.deleteHostAuthenticationToken({ id: token.id });
    expect((await callError(member.configuration.getHostAuthenticationToken({ id: token.id }))).code).toBe(
      Code.NotFound,
    );
    expect((await callError(readValue(runner, org.member.member.id, host))).code).toBe(Code.NotFound);
    expect((await callError(member.configuration.deleteHostAuthenticationToken({ id: token.id }))).code).toBe(
      Code.NotFound,
    );
  });

  it("let a runner admin see and delete, but not update, others' tokens on its runner", async () => {
    const laptop = await newRunner({ provider: RunnerProvider.LINUX_HOST, name: "admin's laptop" }, colleague.token);
    // The colleague administers the laptop; the org admin creates a token there for the member.
    const token = await create(admin, {
      runnerId: laptop.runnerId,
      host: freshHost(),
      subject: { id: org.member.member.id, principal: Principal.USER },
    });
    expect((await peer.configuration.getHostAuthenticationToken({ id: token.id })).token).toEqual(token);
    expect(await listIds(peer, { runnerId: laptop.runnerId })).toEqual([token.id]);
    const update = await callError(peer.configuration.updateHostAuthenticationToken({ id: token.id, token: "x" }));
    expect(update.code).toBe(Code.PermissionDenied);
    const orgAdminUpdate = await callError(
      admin.configuration.updateHostAuthenticationToken({ id: token.id, token: "x" }),
    );
    expect(orgAdminUpdate.code).toBe(Code.PermissionDenied);
    await peer.configuration.deleteHostAuthenticationToken({ id: token.id });
    expect((await callError(member.configuration.getHostAuthenticationToken({ id: token.id }))).code).toBe(
      Code.NotFound,
    );
  });

  it("hide someone else's token from plain members, the runner principal and other orgs", async () => {
    const token = await create(member, { host: freshHost() });
    for (const who of [peer, robot, runner.clients, otherAdmin]) {
      expect((await callError(who.configuration.getHostAuthenticationToken({ id: token.id }))).code).toBe(
        Code.NotFound,
      );
      expect((await callError(who.configuration.deleteHostAuthenticationToken({ id: token.id }))).code).toBe(
        Code.NotFound,
      );
    }
    // The runner itself refreshes its users' OAuth tokens (docs/scm-oauth.md); nobody else updates them.
    for (const who of [peer, robot, otherAdmin]) {
      expect(
        (await callError(who.configuration.updateHostAuthenticationToken({ id: token.id, token: "stolen" }))).code,
      ).toBe(Code.NotFound);
    }
    expect((await callError(admin.configuration.getHostAuthenticationToken({ id: unknownId }))).code).toBe(
      Code.NotFound,
    );
    expect((await member.configuration.getHostAuthenticationToken({ id: token.id })).token?.id).toBe(token.id);
  });

  it("let the runner itself update (refresh) a token of its own runner, not another runner's", async () => {
    const host = freshHost();
    const token = await create(member, { host });
    await runner.clients.configuration.updateHostAuthenticationToken({ id: token.id, token: "refreshed" });
    const { value } = await runner.clients.interaction.getHostAuthenticationTokenValue({
      runnerId: runner.runnerId,
      principalId: org.member.member.id,
      host,
    });
    expect(new TextDecoder().decode(value)).toBe("refreshed");
    const other = await newRunner();
    const elsewhere = await create(member, { runnerId: other.runnerId, host: freshHost() });
    expect(
      (await callError(runner.clients.configuration.updateHostAuthenticationToken({ id: elsewhere.id, token: "x" })))
        .code,
    ).toBe(Code.NotFound);
  });

  it("list what the caller may see, by runner and subject, page by page", async () => {
    const target = await newRunner();
    const on = { runnerId: target.runnerId };
    const hostA = freshHost();
    const hostB = freshHost();
    const mine = [(await create(member, { ...on, host: hostA })).id, (await create(member, { ...on, host: hostB })).id];
    const peers = (await create(peer, { ...on, host: hostA })).id;
    const robots = (await create(robot, { ...on, host: hostB })).id;
    const elsewhere = (await create(member, { host: freshHost() })).id;

    expect(await listIds(member, on)).toEqual([...mine].sort());
    expect(await listIds(member)).toContain(elsewhere);
    expect(await listIds(member)).not.toContain(peers);
    expect(await listIds(peer, on)).toEqual([peers]);
    expect(await listIds(admin, on)).toEqual([...mine, peers, robots].sort());
    expect(await listIds(admin, { ...on, subjectId: org.member.member.id })).toEqual([...mine].sort());
    expect(await listIds(admin, { ...on, userId: colleague.member.id })).toEqual([peers]);
    expect(await listIds(admin, { subjectId: org.serviceAccount.member.id, runnerId: target.runnerId })).toEqual([
      robots,
    ]);
    // A member asking for another subject's tokens sees none of them.
    expect(await listIds(member, { ...on, subjectId: colleague.member.id })).toEqual([]);
    expect(await listIds(otherAdmin, on)).toEqual([]);
    expect(await listIds(runner.clients)).toEqual([]);

    const paged: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await admin.configuration.listHostAuthenticationTokens({
        filter: on,
        pagination: { pageSize: 1, token },
      });
      pages++;
      paged.push(...page.tokens.map((t) => t.id));
      token = page.pagination?.nextToken ?? "";
    } while (token && pages < 10);
    expect(paged).toHaveLength(4);
    expect([...paged].sort()).toEqual([...mine, peers, robots].sort());
    expect(pages).toBeGreaterThanOrEqual(4);

    const first = await admin.configuration.listHostAuthenticationTokens({ filter: on, pagination: { pageSize: 1 } });
    const reused = await callError(
      admin.configuration.listHostAuthenticationTokens({
        filter: { ...on, subjectId: org.member.member.id },
        pagination: { pageSize: 1, token: first.pagination?.nextToken ?? "" },
      }),
    );
    expect(reused.code).toBe(Code.InvalidArgument);
  });

  it("change only what an update names, and the runner reads the new values", async () => {
    const host = freshHost();
    const expiry = new Date("2031-01-01T00:00:00Z");
    const token = await create(member, {
      host,
      token: "v1",
      refreshToken: "r1",
      scopes: ["repo"],
      expiresAt: timestampFromDate(expiry),
    });
    const read = () => readValue(runner, org.member.member.id, host);
    const meta = async () => (await member.configuration.getHostAuthenticationToken({ id: token.id })).token;

    await member.configuration.updateHostAuthenticationToken({ id: token.id, scopes: ["repo", "workflow"] });
    expect(await read()).toMatchObject({ value: "v1", refreshToken: "r1", expiresAt: expiry });
    expect((await meta())?.scopes).toEqual(["repo", "workflow"]);

    await member.configuration.updateHostAuthenticationToken({ id: token.id, token: "v2" });
    expect(await read()).toMatchObject({ value: "v2", refreshToken: "r1", expiresAt: expiry });
    expect((await meta())?.scopes).toEqual(["repo", "workflow"]);

    await member.configuration.updateHostAuthenticationToken({ id: token.id, refreshToken: "r2" });
    expect(await read()).toMatchObject({ value: "v2", refreshToken: "r2", expiresAt: expiry });

    const later = new Date("2032-02-02T00:00:00Z");
    await member.configuration.updateHostAuthenticationToken({ id: token.id, expiresAt: timestampFromDate(later) });
    expect(await read()).toMatchObject({ value: "v2", refreshToken: "r2", expiresAt: later, tokenId: token.id });
    const after = await meta();
    expect(after).toMatchObject({ id: token.id, host, source: OAUTH, scopes: ["repo", "workflow"] });
    expect(after?.expiresAt && timestampDate(after.expiresAt)).toEqual(later);

    await member.configuration.updateHostAuthenticationToken({ id: token.id, token: "v3", refreshToken: "r3" });
    expect(await read()).toMatchObject({ value: "v3", refreshToken: "r3" });

    expect(
      (await callError(member.configuration.updateHostAuthenticationToken({ id: token.id, token: "" }))).code,
    ).toBe(Code.InvalidArgument);
    expect(
      (
        await callError(
          member.configuration.updateHostAuthenticationToken({
            id: token.id,
            scopes: Array.from({ length: 101 }, (_, i) => `s${i}`),
          }),
        )
      ).code,
    ).toBe(Code.InvalidArgument);
    expect(await read()).toMatchObject({ value: "v3", refreshToken: "r3" });
  });
});

describe("GetHostAuthenticationTokenValue", () => {
  it("answers the runner the token belongs to, and nobody else", async () => {
    const host = freshHost();
    const { id: integrationId } = await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "gitlab",
      host,
      pat: true,
    });
    const expiry = new Date("2030-06-01T00:00:00Z");
    const token = await create(member, {
      host,
      token: "the-value",
      refreshToken: "the-refresh",
      source: PAT,
      expiresAt: timestampFromDate(expiry),
      integrationId,
    });
    expect(await readValue(runner, org.member.member.id, host)).toEqual({
      tokenId: token.id,
      value: "the-value",
      refreshToken: "the-refresh",
      source: PAT,
      expiresAt: expiry,
      integrationId,
    });

    const other = await newRunner();
    // Another runner, naming the token's runner or itself.
    const asOther = await callError(readValue(runner, org.member.member.id, host, other.clients));
    expect(asOther.code).toBe(Code.NotFound);
    const ownRunner = await callError(readValue(other, org.member.member.id, host));
    expect(ownRunner.code).toBe(Code.NotFound);
    // Users, even the subject or an org admin.
    for (const who of [member, admin]) {
      expect((await callError(readValue(runner, org.member.member.id, host, who))).code).toBe(Code.PermissionDenied);
    }
    // Unknown subject or host.
    expect((await callError(readValue(runner, colleague.member.id, host))).code).toBe(Code.NotFound);
    expect((await callError(readValue(runner, org.member.member.id, freshHost()))).code).toBe(Code.NotFound);
  });
});

describe("host tokens at rest", () => {
  it("never hold the plaintext token or refresh token in any column of any row", async () => {
    const plain: string[] = [];
    const remember = (label: string) => {
      const value = secret(label);
      plain.push(value);
      return value;
    };
    const a = await create(member, {
      host: freshHost(),
      token: remember("rest-token"),
      refreshToken: remember("rest-refresh"),
    });
    await create(peer, { host: freshHost(), token: remember("rest-token"), refreshToken: remember("rest-refresh") });
    await create(runner.clients, {
      host: freshHost(),
      token: remember("rest-token"),
      refreshToken: remember("rest-refresh"),
      subject: { id: org.serviceAccount.member.id, principal: Principal.SERVICE_ACCOUNT },
    });
    await member.configuration.updateHostAuthenticationToken({
      id: a.id,
      token: remember("rest-updated"),
      refreshToken: remember("rest-updated-refresh"),
    });

    const rows = await server.sql<Record<string, unknown>[]>`select * from host_authentication_tokens`;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expectNoPlaintext(rows, plain);
    const [stored] = await server.sql<{ key_id: string; t: Buffer; r: Buffer }[]>`
      select key_id, token_ciphertext as t, refresh_token_ciphertext as r from host_authentication_tokens
       where id = ${a.id}`;
    expect(stored?.key_id).toBe("k1");
    // iv (12) + at least one byte + tag (16)
    expect(stored?.t.length).toBeGreaterThan(28);
    expect(stored?.r.length).toBeGreaterThan(28);
  });

  it("do not decrypt once copied to another row", async () => {
    const victimHost = freshHost();
    const attackerHost = freshHost();
    const victim = await create(member, { host: victimHost, token: "victim-value", refreshToken: "victim-refresh" });
    const attacker = await create(peer, { host: attackerHost, token: "attacker-value" });
    await server.sql`
      update host_authentication_tokens t
         set token_ciphertext = v.token_ciphertext, refresh_token_ciphertext = v.refresh_token_ciphertext,
             key_id = v.key_id
        from host_authentication_tokens v
       where v.id = ${victim.id} and t.id = ${attacker.id}`;
    const error = await callError(readValue(runner, colleague.member.id, attackerHost));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).not.toContain("victim");
    // Swapping the columns within one row does not work either.
    await server.sql`
      update host_authentication_tokens
         set token_ciphertext = refresh_token_ciphertext, refresh_token_ciphertext = token_ciphertext
       where id = ${victim.id}`;
    expect((await callError(readValue(runner, org.member.member.id, victimHost))).code).toBe(Code.Internal);
  });

  describe("key rotation", () => {
    let rotated: TestServer;
    let newOnly: TestServer;

    beforeAll(async () => {
      rotated = await startTestServer({ sql: server.sql, clock, keyRing: createKeyRing([k2, k1]) });
      newOnly = await startTestServer({ sql: server.sql, clock, keyRing: createKeyRing([k2]) });
    });
    afterAll(async () => {
      await rotated.close();
      await newOnly.close();
    });

    const keyIdOf = async (id: string) =>
      (await server.sql<{ key_id: string }[]>`select key_id from host_authentication_tokens where id = ${id}`)[0]
        ?.key_id;

    it("reads old tokens, encrypts new ones with the new key and re-encrypts old ones on update", async () => {
      const oldHost = freshHost();
      const untouchedHost = freshHost();
      const old = await create(member, { host: oldHost, token: "old-value", refreshToken: "old-refresh" });
      const untouched = await create(peer, { host: untouchedHost, token: "untouched-value" });
      expect(await keyIdOf(old.id)).toBe("k1");

      const onRotated = {
        member: clientsFor(rotated.baseUrl, org.member.token),
        runner: clientsFor(rotated.baseUrl, runner.token),
      };
      const onNewOnly = clientsFor(newOnly.baseUrl, runner.token);

      expect(await readValue(runner, org.member.member.id, oldHost, onRotated.runner)).toMatchObject({
        value: "old-value",
        refreshToken: "old-refresh",
      });

      const newHost = freshHost();
      const fresh = (
        await onRotated.member.configuration.createHostAuthenticationToken({
          runnerId: runner.runnerId,
          host: newHost,
          token: "new-value",
          refreshToken: "new-refresh",
          source: OAUTH,
        })
      ).token;
      expect(await keyIdOf(fresh?.id as string)).toBe("k2");
      expect(await readValue(runner, org.member.member.id, newHost, onRotated.runner)).toMatchObject({
        value: "new-value",
        refreshToken: "new-refresh",
      });

      // Any update re-encrypts with the active key, even one that names no value.
      await onRotated.member.configuration.updateHostAuthenticationToken({ id: old.id, scopes: ["rotated"] });
      expect(await keyIdOf(old.id)).toBe("k2");
      expect(await keyIdOf(untouched.id)).toBe("k1");

      // A server with only the new key reads what k2 encrypted, and nothing k1 still holds.
      expect(await readValue(runner, org.member.member.id, newHost, onNewOnly)).toMatchObject({
        value: "new-value",
        refreshToken: "new-refresh",
      });
      expect(await readValue(runner, org.member.member.id, oldHost, onNewOnly)).toMatchObject({
        value: "old-value",
        refreshToken: "old-refresh",
      });
      const stale = await callError(readValue(runner, colleague.member.id, untouchedHost, onNewOnly));
      expect(stale.code).toBe(Code.Internal);
      expect(stale.rawMessage).not.toContain("k1");
      // And the old server, without k2, cannot read the new tokens.
      expect((await callError(readValue(runner, org.member.member.id, newHost))).code).toBe(Code.Internal);
      expect((await readValue(runner, colleague.member.id, untouchedHost)).value).toBe("untouched-value");
    });
  });
});

describe("deleting the runner", () => {
  it("removes its host tokens", async () => {
    const target = await newRunner();
    const a = await create(member, { runnerId: target.runnerId, host: freshHost() });
    const b = await create(peer, { runnerId: target.runnerId, host: freshHost() });
    const kept = await create(member, { host: freshHost() });
    await admin.runners.deleteRunner({ runnerId: target.runnerId, force: true });
    const [left] = await server.sql<{ n: number }[]>`
      select count(*)::int as n from host_authentication_tokens where runner_id = ${target.runnerId}`;
    expect(left?.n).toBe(0);
    for (const id of [a.id, b.id]) {
      expect((await callError(admin.configuration.getHostAuthenticationToken({ id }))).code).toBe(Code.NotFound);
    }
    expect((await member.configuration.getHostAuthenticationToken({ id: kept.id })).token?.id).toBe(kept.id);
  });
});

/** Every way a column value could spell a secret out. */
