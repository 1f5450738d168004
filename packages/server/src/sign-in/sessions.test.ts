/**
 * Sessions over the real server and Postgres (behaviour.md §13, docs/sign-in.md):
 * personal-token sign-in, the cookie, cookie-authenticated calls only from the server's own
 * origin, idle and absolute expiry, logout, and suspension or removal ending a session.
 */
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IdentityService, Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unauthenticatedMessage } from "../auth/index.js";
import { issueToken } from "../db/tokens.js";
import {
  callError,
  clientsFor,
  expectNoPlaintext,
  type ManualClock,
  manualClock,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../testing/index.js";
import { signInDefaults } from "./settings.js";
import { invalidTokenMessage } from "./token-sign-in.js";

let server: TestServer;
let clock: ManualClock;
let org: SeededOrganization;
const publicUrl = "http://localhost:8080";
const cookieName = signInDefaults.cookieName;

beforeAll(async () => {
  clock = manualClock(new Date());
  server = await startTestServer({ clock });
  org = await seedOrganization(server.sql, "Sessions");
});
afterAll(() => server.close());

async function signIn(token: string, init: { origin?: string | null; form?: Record<string, string> } = {}) {
  const origin = init.origin === undefined ? publicUrl : init.origin;
  return fetch(`${server.baseUrl}/auth/token`, {
    method: "POST",
    redirect: "manual",
    headers: {
      ...(origin ? { origin } : {}),
      "content-type": init.form ? "application/x-www-form-urlencoded" : "application/json",
    },
    body: init.form ? new URLSearchParams({ token, ...init.form }).toString() : JSON.stringify({ token }),
  });
}

/** The session cookie's value from a sign-in answer. */
function sessionOf(res: Response): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${cookieName}=`));
  expect(cookie).toBeDefined();
  return (cookie as string).split(";", 1)[0]?.slice(cookieName.length + 1) as string;
}

/** Clients that send the session cookie (and the browser headers `headers` names), no bearer token. */
function cookieClients(session: string, headers: Record<string, string> = { origin: publicUrl }) {
  const withCookie: Interceptor = (next) => (req) => {
    req.header.set("cookie", `${cookieName}=${session}`);
    for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", interceptors: [withCookie] });
  return {
    identity: createClient(IdentityService, transport),
    users: createClient(UserService, transport),
    organization: createClient(OrganizationService, transport),
  };
}

async function newUser(name: string) {
  return seedMember(server.sql, org.organization.id, { name });
}

/** The detached `last_seen_at` refresh of the last call, done. */
async function seen(session: string, at: Date) {
  const rows = () =>
    server.sql`select last_seen_at from sessions where hash = sha256(${Buffer.from(session)})`.then(
      (r) => r[0]?.last_seen_at as Date,
    );
  await expect.poll(async () => (await rows()).getTime()).toBe(at.getTime());
}

describe("POST /auth/token", () => {
  it("starts a session for a user's personal access token and sets an HttpOnly, SameSite=Lax cookie", async () => {
    const res = await signIn(org.admin.token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user_id: org.admin.member.id, organization_id: org.organization.id });
    const cookie = res.headers.getSetCookie()[0] as string;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/); // the public URL is http
    expect(cookie).toMatch(new RegExp(`Max-Age=${signInDefaults.maxAgeMs / 1000}`));
  });

  it("stores only the session id's hash", async () => {
    const session = sessionOf(await signIn(org.admin.token));
    expectNoPlaintext(await server.sql`select * from sessions`, [session, session.slice("rp_session_".length)]);
  });

  it("redirects a form sign-in to its return path, and an unsafe one to /", async () => {
    const ok = await signIn(org.admin.token, { form: { return_to: "/console/runners?x=1" } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/console/runners?x=1");
    for (const unsafe of ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]) {
      const res = await signIn(org.admin.token, { form: { return_to: unsafe } });
      expect(res.headers.get("location")).toBe("/");
    }
  });

  it("refuses unknown, malformed, service-account, runner, expired and suspended users' tokens alike, starting no session", async () => {
    const before = (await server.sql`select count(*)::int as n from sessions`)[0]?.n;
    const suspended = await newUser("Suspended signer");
    await server.sql`update members set suspended_at = now() where id = ${suspended.member.id}`;
    const expired = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: org.organization.id,
      subjectId: org.member.member.id,
      principal: "user",
      expiresAt: new Date(clock.now().getTime() - 1000),
    });
    const runner = await issueToken(server.sql, {
      kind: "runner_access",
      organizationId: org.organization.id,
      subjectId: org.member.member.id,
      principal: "runner",
      expiresAt: null,
    });
    for (const token of [
      "rp_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "not a token",
      "",
      org.serviceAccount.token,
      runner.token,
      expired.token,
      suspended.token,
    ]) {
      const res = await signIn(token);
      expect(res.status, token).toBe(401);
      expect(await res.json()).toEqual({ code: "unauthenticated", message: invalidTokenMessage });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect((await server.sql`select count(*)::int as n from sessions`)[0]?.n).toBe(before);
  });

  it("refuses a sign-in posted from another origin or without any origin header", async () => {
    for (const origin of ["https://evil.example", null]) {
      const res = await signIn(org.admin.token, { origin });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: "permission_denied" });
    }
  });

  it("answers other methods and body types with clear errors", async () => {
    expect((await fetch(`${server.baseUrl}/auth/token`)).status).toBe(405);
    const res = await fetch(`${server.baseUrl}/auth/token`, {
      method: "POST",
      headers: { origin: publicUrl, "content-type": "text/plain" },
      body: org.admin.token,
    });
    expect(res.status).toBe(415);
  });

  it("logs no token and no session id", async () => {
    const user = await newUser("Logged signer");
    const session = sessionOf(await signIn(user.token));
    await signIn(`${user.token}x`);
    const text = JSON.stringify(server.logs);
    expect(text).not.toContain(user.token);
    expect(text).not.toContain(session);
    expect(server.logs.some((l) => l.msg === "signed in" && l.member_id === user.member.id)).toBe(true);
    expect(server.logs.some((l) => l.msg === "sign-in refused")).toBe(true);
  });
});

describe("a session cookie", () => {
  it("authenticates API calls as the user's token would", async () => {
    const user = await newUser("Cookie user");
    const session = sessionOf(await signIn(user.token));
    const viaCookie = await cookieClients(session).identity.getAuthenticatedIdentity({});
    const viaToken = await clientsFor(server.baseUrl, user.token).identity.getAuthenticatedIdentity({});
    expect(viaCookie.subject).toEqual(viaToken.subject);
    expect(viaCookie.subject?.principal).toBe(Principal.USER);
    expect(viaCookie.subject?.id).toBe(user.member.id);
    expect(viaCookie.organizationId).toBe(org.organization.id);
    // Authorization is the token's too: a plain member may not change the org.
    const update = cookieClients(session).organization.updateOrganization({
      organizationId: org.organization.id,
      name: "Renamed",
    });
    expect(await callError(update)).toMatchObject({ code: Code.PermissionDenied });
  });

  it("is accepted from the server's own origin only: another Origin, a cross-site fetch, or no browser header is refused", async () => {
    const session = sessionOf(await signIn(org.admin.token));
    const sameSite = cookieClients(session, { "sec-fetch-site": "same-origin" });
    expect((await sameSite.identity.getAuthenticatedIdentity({})).subject?.id).toBe(org.admin.member.id);
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: "http://localhost:8081" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      {},
    ]) {
      const call = cookieClients(session, headers).organization.updateOrganization({
        organizationId: org.organization.id,
        name: "Ridden",
      });
      expect(await callError(call), JSON.stringify(headers)).toMatchObject({
        code: Code.PermissionDenied,
        rawMessage: "session cookies are accepted only from http://localhost:8080",
      });
    }
    const [row] = await server.sql`select name from organizations where id = ${org.organization.id}`;
    expect(row?.name).not.toBe("Ridden");
  });

  it("does not rescue a bad bearer token, and leaves bearer tokens unaffected by origins", async () => {
    const session = sessionOf(await signIn(org.admin.token));
    const bad = createConnectTransport({
      baseUrl: server.baseUrl,
      httpVersion: "1.1",
      interceptors: [
        (next) => (req) => {
          req.header.set("cookie", `${cookieName}=${session}`);
          req.header.set("origin", publicUrl);
          req.header.set("authorization", "Bearer nonsense");
          return next(req);
        },
      ],
    });
    expect(await callError(createClient(IdentityService, bad).getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
    const foreign = createConnectTransport({
      baseUrl: server.baseUrl,
      httpVersion: "1.1",
      interceptors: [
        (next) => (req) => {
          req.header.set("origin", "https://evil.example");
          req.header.set("authorization", `Bearer ${org.admin.token}`);
          return next(req);
        },
      ],
    });
    expect((await createClient(IdentityService, foreign).getAuthenticatedIdentity({})).subject?.id).toBe(
      org.admin.member.id,
    );
  });

  it("of a read-only token is read-only", async () => {
    const user = await newUser("Read-only signer");
    const readOnly = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: org.organization.id,
      subjectId: user.member.id,
      principal: "user",
      expiresAt: null,
      readOnly: true,
    });
    const clients = cookieClients(sessionOf(await signIn(readOnly.token)));
    expect((await clients.identity.getAuthenticatedIdentity({})).subject?.id).toBe(user.member.id);
    const create = clients.users.createPersonalAccessToken({ userId: user.member.id, description: "x" });
    expect(await callError(create)).toMatchObject({ code: Code.PermissionDenied });
  });
});

describe("the end of a session", () => {
  it("comes with logout: the cookie is cleared and the session refused from then on", async () => {
    const session = sessionOf(await signIn(org.admin.token));
    const clients = cookieClients(session);
    await clients.identity.getAuthenticatedIdentity({});
    const res = await fetch(`${server.baseUrl}/auth/logout`, {
      method: "POST",
      headers: { origin: publicUrl, cookie: `${cookieName}=${session}` },
    });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie()[0]).toMatch(new RegExp(`^${cookieName}=; Max-Age=0`));
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
      rawMessage: unauthenticatedMessage,
    });
  });

  it("does not come from a logout posted by another site", async () => {
    const session = sessionOf(await signIn(org.admin.token));
    const res = await fetch(`${server.baseUrl}/auth/logout`, {
      method: "POST",
      headers: { origin: "https://evil.example", cookie: `${cookieName}=${session}` },
    });
    expect(res.status).toBe(403);
    expect((await cookieClients(session).identity.getAuthenticatedIdentity({})).subject?.id).toBe(org.admin.member.id);
  });

  it("comes at once with suspension, and lifting the suspension does not revive it", async () => {
    const user = await newUser("Suspended later");
    const clients = cookieClients(sessionOf(await signIn(user.token)));
    await clients.identity.getAuthenticatedIdentity({});
    const admin = clientsFor(server.baseUrl, org.admin.token).users;
    await admin.setSuspended({ userId: user.member.id, suspended: true });
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
    await admin.setSuspended({ userId: user.member.id, suspended: false });
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
  });

  it("comes at once with removal from the organization", async () => {
    const user = await newUser("Removed later");
    const session = sessionOf(await signIn(user.token));
    await cookieClients(session).identity.getAuthenticatedIdentity({});
    await server.sql`delete from members where id = ${user.member.id}`;
    expect(await callError(cookieClients(session).identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
    expect(await server.sql`select id from sessions where member_id = ${user.member.id}`).toHaveLength(0);
  });

  it("comes after 12 hours without use", async () => {
    const user = await newUser("Idle user");
    const session = sessionOf(await signIn(user.token));
    const clients = cookieClients(session);
    clock.advance(11 * 60 * 60_000);
    await clients.identity.getAuthenticatedIdentity({});
    await seen(session, clock.now());
    clock.advance(11 * 60 * 60_000); // 22 h after sign-in, 11 h after the last use
    await clients.identity.getAuthenticatedIdentity({});
    await seen(session, clock.now());
    clock.advance(signInDefaults.idleTimeoutMs);
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
  });

  it("comes 7 days after sign-in however often it is used", async () => {
    const user = await newUser("Busy user");
    const session = sessionOf(await signIn(user.token));
    const clients = cookieClients(session);
    for (let hours = 10; hours < 7 * 24; hours += 10) {
      clock.advance(10 * 60 * 60_000);
      await clients.identity.getAuthenticatedIdentity({});
      await seen(session, clock.now());
    }
    clock.advance(8 * 60 * 60_000); // 7 days after sign-in, 8 hours after the last use
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
  });

  it("comes at once with the revocation of the personal access token it was started with, and not with another's", async () => {
    const user = await newUser("Revoked token user");
    const other = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: org.organization.id,
      subjectId: user.member.id,
      principal: "user",
      expiresAt: null,
    });
    const first = cookieClients(sessionOf(await signIn(user.token)));
    const second = cookieClients(sessionOf(await signIn(other.token)));
    await first.identity.getAuthenticatedIdentity({});
    await second.users.deletePersonalAccessToken({ personalAccessTokenId: other.row.id });
    expect(await callError(second.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
    expect((await first.identity.getAuthenticatedIdentity({})).subject?.id).toBe(user.member.id);
  });

  it("comes when the personal access token it was started with expires, even if its expiry was brought forward", async () => {
    const user = await newUser("Expiring token user");
    const token = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: org.organization.id,
      subjectId: user.member.id,
      principal: "user",
      expiresAt: null,
    });
    const clients = cookieClients(sessionOf(await signIn(token.token)));
    await clients.identity.getAuthenticatedIdentity({});
    await server.sql`update tokens set expires_at = ${clock.now()} where id = ${token.row.id}`;
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
  });

  it("comes no later than the personal access token it was started with", async () => {
    const user = await newUser("Short token user");
    const short = await issueToken(server.sql, {
      kind: "personal_access",
      organizationId: org.organization.id,
      subjectId: user.member.id,
      principal: "user",
      expiresAt: new Date(clock.now().getTime() + 60 * 60_000),
    });
    const res = await signIn(short.token);
    expect(res.headers.getSetCookie()[0]).toMatch(/Max-Age=3600/);
    const clients = cookieClients(sessionOf(res));
    await clients.identity.getAuthenticatedIdentity({});
    clock.advance(61 * 60_000);
    expect(await callError(clients.identity.getAuthenticatedIdentity({}))).toMatchObject({
      code: Code.Unauthenticated,
    });
  });
});
