/**
 * The OAuth pages' own answers, without a runner (the whole flow, with the reference runner
 * and a fake SCM, is packages/runner/src/scm-oauth.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSessionSecret, hashToken } from "../../crypto/tokens.js";
import { createSql } from "../../db/index.js";
import { insertScmLoginAttempt, startScmLoginAttempt } from "../../db/scm-login-attempts.js";
import { issueToken } from "../../db/tokens.js";
import {
  clientsFor,
  createTestRunner,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../../testing/index.js";

let server: TestServer;
let org: SeededOrganization;
/** An open attempt of the org's member (its runner is never connected here). */
let link: string;
let attemptId: string;
let runnerId: string;
let integrationId: string;
beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Linked Inc");
  const runner = await createTestRunner(server.baseUrl, org.admin.token);
  runnerId = runner.runnerId;
  ({ id: integrationId } = await clientsFor(server.baseUrl, org.admin.token).configuration.createSCMIntegration({
    runnerId: runner.runnerId,
    scmId: "github",
    host: "github.example",
    pat: true,
  }));
  const now = new Date();
  const attempt = await insertScmLoginAttempt(server.sql, {
    organizationId: org.organization.id,
    runnerId: runner.runnerId,
    integrationId,
    host: "github.example",
    subjectId: org.member.member.id,
    subjectPrincipal: "user",
    now,
    expiresAt: new Date(now.getTime() + 600_000),
  });
  attemptId = attempt.id;
  link = `${server.baseUrl}/auth/oauth2/start?attempt=${attempt.id}`;
});
afterAll(() => server?.close());

describe("GET /auth/oauth2/start", () => {
  it("answers an unknown or malformed attempt with a 400 page that is never cached", async () => {
    for (const attempt of ["0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01", "nope", ""]) {
      const res = await fetch(`${server.baseUrl}/auth/oauth2/start?attempt=${attempt}`, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await res.text()).toContain("This sign-in link does not work");
    }
  });

  /** The session cookie of a browser signed in with `token` (POST /auth/token, same origin). */
  async function sessionOf(token: string): Promise<string> {
    const res = await fetch(`${server.baseUrl}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:8080" },
      body: JSON.stringify({ token }),
    });
    expect(res.status).toBe(200);
    return res.headers.getSetCookie()[0]?.split(";", 1)[0] ?? "";
  }
  const attemptStarted = async () =>
    (await server.sql`select state_hash from scm_login_attempts where id = ${attemptId}`)[0]?.state_hash !== null;

  it("asks a browser without a session to sign in first (401), linking to the sign-in and back", async () => {
    const res = await fetch(link, { redirect: "manual" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("set-cookie")).toBeNull();
    const page = await res.text();
    expect(page).toContain("Sign in first");
    expect(page).toContain(`<a href="/?return_to=${encodeURIComponent(`/auth/oauth2/start?attempt=${attemptId}`)}">`);
    // A cookie that is no live session counts as none: malformed, well-formed but unknown, ended.
    const loggedOut = await sessionOf(org.member.token);
    const logout = await fetch(`${server.baseUrl}/auth/logout`, {
      method: "POST",
      headers: { origin: "http://localhost:8080", cookie: loggedOut },
    });
    expect(logout.status).toBe(204);
    const cookieName = loggedOut.split("=", 1)[0];
    for (const cookie of [`${cookieName}=rp_ses_forged`, `${cookieName}=${generateSessionSecret().token}`, loggedOut]) {
      const refused = await fetch(link, { redirect: "manual", headers: { cookie } });
      expect(refused.status).toBe(401);
      expect(await refused.text()).toContain("Sign in first");
    }
    expect(await attemptStarted()).toBe(false);
  });

  it("refuses the attempt's own user signed in with a read-only token (403) and stores nothing", async () => {
    const readOnly = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: org.organization.id,
      subjectId: org.member.member.id,
      principal: "user",
      expiresAt: null,
      readOnly: true,
    });
    const res = await fetch(link, { redirect: "manual", headers: { cookie: await sessionOf(readOnly.token) } });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("read-only token");
    expect(await attemptStarted()).toBe(false);
  });

  it("refuses another user's session (403) and stores nothing, so a link cannot connect someone else's account", async () => {
    const admin = await fetch(link, { redirect: "manual", headers: { cookie: await sessionOf(org.admin.token) } });
    expect(admin.status).toBe(403);
    expect(admin.headers.get("set-cookie")).toBeNull();
    expect(await admin.text()).toContain("made for another account");
    const otherOrg = await seedOrganization(server.sql, "Elsewhere Ltd");
    const stranger = await fetch(link, {
      redirect: "manual",
      headers: { cookie: await sessionOf(otherOrg.admin.token) },
    });
    expect(stranger.status).toBe(403);
    expect(await attemptStarted()).toBe(false);
  });

  it("lets the attempt's own user through to the runner (here: not connected, 503, nothing stored)", async () => {
    const res = await fetch(link, { redirect: "manual", headers: { cookie: await sessionOf(org.member.token) } });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("not connected");
    expect(await attemptStarted()).toBe(false);
  });

  it("answers only GET", async () => {
    const res = await fetch(`${server.baseUrl}/auth/oauth2/start`, { method: "HEAD" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});

describe("GET /auth/oauth2/callback", () => {
  it("refuses a callback without a state or with one it never issued", async () => {
    for (const query of ["", "?code=abc", "?code=abc&state=forged", "?error=access_denied&state=forged"]) {
      const res = await fetch(`${server.baseUrl}/auth/oauth2/callback${query}`, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("Unknown sign-in");
    }
  });

  /** A started attempt of a fresh org's member, and the callback URL and binding cookie its browser would bring. */
  async function startedAttempt(name: string) {
    const member = await seedMember(server.sql, org.organization.id, { name });
    const now = new Date();
    const attempt = await insertScmLoginAttempt(server.sql, {
      organizationId: org.organization.id,
      runnerId,
      integrationId,
      host: "github.example",
      subjectId: member.member.id,
      subjectPrincipal: "user",
      now,
      expiresAt: new Date(now.getTime() + 600_000),
    });
    const state = `state-${attempt.id}`;
    const binding = `binding-${attempt.id}`;
    const started = await startScmLoginAttempt(
      server.sql,
      attempt.id,
      {
        stateHash: hashToken(state),
        bindingHash: hashToken(binding),
        verifier: { keyId: "test-1", ciphertext: Buffer.from("not used") },
        returnTo: null,
      },
      now,
    );
    expect(started).toBe(true);
    return {
      member: member.member,
      open: () =>
        fetch(`${server.baseUrl}/auth/oauth2/callback?code=abc&state=${state}`, {
          redirect: "manual",
          headers: { cookie: `rp_oauth_${attempt.id.replaceAll("-", "")}=${binding}` },
        }),
      used: async () =>
        (await server.sql`select used_at from scm_login_attempts where id = ${attempt.id}`)[0]?.used_at !== null,
    };
  }

  it("refuses a user suspended since the link was made (403), asking no runner and using the attempt up", async () => {
    const a = await startedAttempt("Suspended since");
    await server.sql`update members set suspended_at = now() where id = ${a.member.id}`;
    const res = await a.open();
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("suspended or no longer in this organization");
    expect(await a.used()).toBe(true);
    expect((await a.open()).status).toBe(400);
  });

  it("refuses a user removed from the organization since the link was made (403)", async () => {
    const a = await startedAttempt("Removed since");
    await server.sql`delete from members where id = ${a.member.id}`;
    const res = await a.open();
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("suspended or no longer in this organization");
  });
});

describe("the OAuth pages without a database", () => {
  it("answer 503 with a page, not a stack trace", async () => {
    const unreachable = createSql("postgres://nobody@127.0.0.1:9/none", { max: 1, connectTimeoutMs: 1000 });
    const offline = await startTestServer({ sql: unreachable });
    try {
      const res = await fetch(`${offline.baseUrl}/auth/oauth2/start?attempt=0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("cannot reach its database");
    } finally {
      await offline.close();
      await unreachable.end();
    }
  });
});
