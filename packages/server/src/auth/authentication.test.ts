/**
 * Bearer-token authentication over the real server: who gets in, and that everyone else
 * gets one and the same `unauthenticated` answer.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueExchangeToken, issueToken, revokeToken } from "../db/tokens.js";
import { setUserSuspended } from "../db/users.js";
import {
  bearer,
  callError,
  createTenancyFixture,
  type ManualClock,
  manualClock,
  seedMember,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";
import { unauthenticatedMessage } from "./authentication-interceptor.js";

let server: TestServer;
let fx: TenancyFixture;
let clock: ManualClock;
beforeAll(async () => {
  clock = manualClock(new Date("2026-06-01T12:00:00Z"));
  server = await startTestServer({ clock });
  fx = await createTenancyFixture(server.sql);
});
afterAll(() => server.close());

function whoAmI(authorization?: string, body = "{}") {
  return fetch(`${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body,
  });
}

async function expectUnauthenticated(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("x-should-retry")).toBe("false");
  expect(await res.json()).toEqual({ code: "unauthenticated", message: unauthenticatedMessage });
}

const orgA = () => fx.organizations.A;

async function newToken(kind: "personal_access" | "runner_exchange" | "runner_logs", expiresAt: Date | null = null) {
  const runner = kind !== "personal_access";
  return issueToken(server.sql, {
    kind,
    organizationId: orgA(),
    subjectId: runner ? fx.runners.orgRunner : fx.callers["A member"].subject.id,
    principal: runner ? "runner" : "user",
    expiresAt,
  });
}

describe("authentication", () => {
  describe("every bad credential gets the same unauthenticated answer", () => {
    const cases: [string, () => Promise<string | undefined>][] = [
      ["no Authorization header", async () => undefined],
      ["an empty bearer", async () => "Bearer "],
      ["another scheme", async () => `Basic ${Buffer.from("a:b").toString("base64")}`],
      ["a malformed token", async () => "Bearer rp_pat_tooshort"],
      ["a token without prefix", async () => `Bearer ${"a".repeat(43)}`],
      ["an unknown, well-formed token", async () => `Bearer rp_pat_${"A".repeat(43)}`],
      [
        "a token whose prefix lies about its kind",
        async () => `Bearer ${fx.tokens["A admin"].replace("rp_pat_", "rp_runner_")}`,
      ],
      [
        "an expired token",
        async () => {
          const { token } = await newToken("personal_access", new Date(clock.now().getTime() - 1));
          return `Bearer ${token}`;
        },
      ],
      [
        "a revoked token",
        async () => {
          const { row, token } = await newToken("personal_access");
          await revokeToken(server.sql, orgA(), row.id, clock.now());
          return `Bearer ${token}`;
        },
      ],
      [
        "a runner exchange token (only for ExchangeToken)",
        async () => `Bearer ${(await newToken("runner_exchange")).token}`,
      ],
      ["a runner logs token (only for logs)", async () => `Bearer ${(await newToken("runner_logs")).token}`],
    ];
    it.each(cases)("%s", async (_name, authorization) => {
      await expectUnauthenticated(await whoAmI(await authorization()));
    });

    it("over gRPC too", async () => {
      const client = createClient(
        IdentityService,
        createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(`rp_pat_${"B".repeat(43)}`)] }),
      );
      const error = await callError(client.getAuthenticatedIdentity({}));
      expect(error.rawMessage).toBe(unauthenticatedMessage);
    });
  });

  it("stops accepting a revoked token on the very next request", async () => {
    const { row, token } = await newToken("personal_access");
    expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
    await revokeToken(server.sql, orgA(), row.id, clock.now());
    await expectUnauthenticated(await whoAmI(`Bearer ${token}`));
  });

  it("refuses a suspended member's tokens on the very next request, and accepts them once lifted", async () => {
    const { member, token } = await seedMember(server.sql, orgA(), { name: "A suspended engineer" });
    expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
    await setUserSuspended(server.sql, orgA(), member.id, true, clock.now());
    await expectUnauthenticated(await whoAmI(`Bearer ${token}`));
    await setUserSuspended(server.sql, orgA(), member.id, false, clock.now());
    expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
  });

  it("lets a read-only token call only methods without side effects", async () => {
    const { token } = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: orgA(),
      subjectId: fx.callers["A member"].subject.id,
      principal: "user",
      expiresAt: null,
      readOnly: true,
    });
    expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/CreateRunner`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "nope", provider: "RUNNER_PROVIDER_LINUX_HOST" }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "permission_denied" });
  });

  it("accepts a token until its expiry, and not after", async () => {
    const { token } = await newToken("personal_access", new Date(clock.now().getTime() + 60 * 60_000));
    expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
    clock.advance(60 * 60_000);
    await expectUnauthenticated(await whoAmI(`Bearer ${token}`));
  });

  it("authenticates before validating: an anonymous caller learns nothing about the request", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ runnerId: "not-a-uuid" }),
    });
    await expectUnauthenticated(res);
  });

  it("lets ExchangeToken through without a bearer token", async () => {
    const { token } = await issueExchangeToken(
      server.sql,
      { organizationId: orgA(), runnerId: fx.runners.orgRunner },
      clock.now(),
    );
    const res = await fetch(`${server.baseUrl}/gitpod.v1.IdentityService/ExchangeToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ exchangeToken: token }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accessToken: string }).accessToken).toMatch(/^rp_runner_/);
  });

  it("records when a token was last used", async () => {
    const { row, token } = await newToken("personal_access");
    await whoAmI(`Bearer ${token}`);
    await expect
      .poll(async () => (await server.sql`select last_used_at from tokens where id = ${row.id}`)[0]?.last_used_at)
      .toEqual(clock.now());
  });

  it("writes last use at most once a minute, and sends no statement for the calls in between", async () => {
    const { row, token } = await newToken("personal_access");
    // A statement-level trigger fires for every UPDATE of tokens, even one that matches no row.
    await server.sql.unsafe(`
      create table token_updates (at timestamptz not null default clock_timestamp());
      create function count_token_update() returns trigger language plpgsql as
        $$ begin insert into token_updates default values; return null; end $$;
      create trigger count_token_updates after update on tokens
        for each statement execute function count_token_update()`);
    try {
      const lastUsed = async () => (await server.sql`select last_used_at from tokens where id = ${row.id}`)[0];
      const updates = async () => (await server.sql`select count(*)::int as n from token_updates`)[0]?.n;
      const first = clock.now();
      await whoAmI(`Bearer ${token}`);
      await expect.poll(lastUsed).toEqual({ last_used_at: first });
      // Counted from here: nothing else runs now (earlier tests' writes have landed by this time).
      const afterFirst = (await updates()) ?? 0;
      expect(afterFirst).toBeGreaterThanOrEqual(1);

      clock.advance(59_000);
      for (let i = 0; i < 3; i++) expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
      clock.advance(999);
      expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
      // Give a stray fire-and-forget write the time to land before counting.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await updates()).toBe(afterFirst);
      expect(await lastUsed()).toEqual({ last_used_at: first });

      clock.advance(1);
      await whoAmI(`Bearer ${token}`);
      await expect.poll(lastUsed).toEqual({ last_used_at: clock.now() });
      expect(await updates()).toBe(afterFirst + 1);
    } finally {
      await server.sql.unsafe(`
        drop trigger count_token_updates on tokens;
        drop function count_token_update();
        drop table token_updates`);
    }
  });

  it("puts the caller's subject, never the token, in the request log", async () => {
    const res = await whoAmI(`Bearer ${fx.tokens["A member"]}`);
    const id = res.headers.get("x-request-id");
    await expect
      .poll(() => server.logs.find((l) => l.request_id === id)?.subject)
      .toBe(fx.callers["A member"].subject.id);
    expect(JSON.stringify(server.logs)).not.toContain(fx.tokens["A member"]);
  });
});

describe("IdentityService.GetAuthenticatedIdentity", () => {
  it.each([
    ["A admin", "PRINCIPAL_USER"],
    ["A member", "PRINCIPAL_USER"],
    ["A service account", "PRINCIPAL_SERVICE_ACCOUNT"],
    ["A org runner itself", "PRINCIPAL_RUNNER"],
    ["B member", "PRINCIPAL_USER"],
  ] as const)("returns the subject and org of %s", async (name, principal) => {
    const res = await whoAmI(`Bearer ${fx.tokens[name]}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      subject: { id: fx.callers[name].subject.id, principal },
      organizationId: fx.callers[name].organizationId,
      organizationTier: "",
    });
  });

  it("identifies a runner by its runner id", async () => {
    const res = await whoAmI(`Bearer ${fx.tokens["A org runner itself"]}`);
    expect(((await res.json()) as { subject: { id: string } }).subject.id).toBe(fx.runners.orgRunner);
  });
});
