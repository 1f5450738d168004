/**
 * The OpenID Connect login over plain HTTP (behaviour.md §13, docs/sign-in.md): start and
 * callback against a real oidc-provider, whose token endpoint the test answers itself with
 * ID tokens it mints (so it can send ones a correct provider never would). Every refusal
 * starts no session and creates no user.
 */
import { Code } from "@connectrpc/connect";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { SSOConfigurationState } from "@runnerplane/api/gitpod/v1/organization_pb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  callError,
  clientsFor,
  expectNoPlaintext,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../testing/index.js";
import { startTestIdp, type TestIdp } from "../testing/oidc-provider.js";
import { signInDefaults } from "./settings.js";

let server: TestServer;
let idp: TestIdp;
let org: SeededOrganization;
let configurationId: string;
const cookieName = signInDefaults.cookieName;
const bindingName = `${cookieName}_oidc`;

beforeAll(async () => {
  server = await startTestServer({ publicUrlIsBaseUrl: true });
  idp = await startTestIdp({ redirectUri: `${server.baseUrl}/auth/oidc/callback` });
  org = await seedOrganization(server.sql, "Acme");
  configurationId = await activeConfiguration(org, ["acme.test"]);
});
afterAll(async () => {
  await server.close();
  await idp.close();
});

async function activeConfiguration(o: SeededOrganization, domains: string[]): Promise<string> {
  const admin = clientsFor(server.baseUrl, o.admin.token).organization;
  const created = await admin.createSSOConfiguration({
    organizationId: o.organization.id,
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    emailDomains: domains,
  });
  const id = created.ssoConfiguration?.id as string;
  await admin.updateSSOConfiguration({
    ssoConfigurationId: id,
    state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
  });
  return id;
}

interface Started {
  authorizeUrl: URL;
  state: string;
  nonce: string;
  binding: string;
}

async function start(query: string): Promise<Started> {
  const res = await fetch(`${server.baseUrl}/auth/oidc/start?${query}`, { redirect: "manual" });
  expect(res.status, await res.clone().text()).toBe(303);
  const authorizeUrl = new URL(res.headers.get("location") as string);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${bindingName}=`)) as string;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Lax/);
  expect(cookie).toMatch(/Path=\/auth\/oidc/);
  return {
    authorizeUrl,
    state: authorizeUrl.searchParams.get("state") as string,
    nonce: authorizeUrl.searchParams.get("nonce") as string,
    binding: cookie.split(";", 1)[0]?.slice(bindingName.length + 1) as string,
  };
}

/** The IdP's redirect back, as the browser would follow it. */
function callback(started: Started, init: { state?: string; binding?: string | null } = {}) {
  const params = new URLSearchParams({
    code: "an-authorization-code",
    state: init.state ?? started.state,
    iss: idp.issuer,
  });
  const binding = init.binding === undefined ? started.binding : init.binding;
  return fetch(`${server.baseUrl}/auth/oidc/callback?${params}`, {
    redirect: "manual",
    headers: binding ? { cookie: `${bindingName}=${binding}` } : {},
  });
}

/** The token endpoint answers with an ID token carrying these claims (on top of a correct one). */
/** `email_verified: true` unless the claims say otherwise; `email_verified: undefined` leaves the claim out. */
function withVerifiedEmail(claims: Record<string, unknown>): Record<string, unknown> {
  const all: Record<string, unknown> = { email_verified: true, ...claims };
  if (all.email_verified === undefined) delete all.email_verified;
  return all;
}

function idTokenWith(claims: Record<string, unknown>, options: { otherKey?: boolean } = {}) {
  const forms: URLSearchParams[] = [];
  idp.answerTokenRequests = async (form) => {
    forms.push(form);
    return {
      access_token: "an-access-token",
      token_type: "Bearer",
      expires_in: 300,
      id_token: await idp.mintIdToken(withVerifiedEmail(claims), options),
    };
  };
  return forms;
}

function sessionCookieOf(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${cookieName}=`))
    ?.split(";", 1)[0]
    ?.slice(cookieName.length + 1);
}

async function identityWith(session: string) {
  const res = await fetch(`${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin: server.baseUrl,
      cookie: `${cookieName}=${session}`,
    },
    body: "{}",
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const memberCount = async () =>
  (await server.sql`select count(*)::int as n from members where organization_id = ${org.organization.id}`)[0]?.n;

/** Which check of the library refused the last login, from its log line. */
function lastVerificationFailure(): string {
  return String(server.logs.filter((l) => l.msg === "OIDC login not verified").at(-1)?.cause);
}

/** A refusal: an error page, the binding cookie cleared, no session, no new user. */
async function expectRefused(res: Response, status: number, members: number, text: RegExp) {
  expect(res.status).toBe(status);
  expect(await res.text()).toMatch(text);
  expect(sessionCookieOf(res)).toBeUndefined();
  expect(res.headers.getSetCookie().some((c) => c.startsWith(`${bindingName}=;`))).toBe(true);
  expect(await memberCount()).toBe(members);
}

beforeEach(() => {
  idp.answerTokenRequests = undefined;
});

/** A function giving the audit entries written since this call (the tests of a file run one after another). */
async function auditMark() {
  const before = (await server.sql<{ id: string }[]>`select id from audit_log`).map((r) => r.id);
  return () => server.sql<Record<string, unknown>[]>`
    select organization_id, actor_principal, actor_id, action, subject_type, subject_id, request_id
      from audit_log where not (id = any(${before}::uuid[])) order by created_at, id`;
}

describe("GET /auth/oidc/start", () => {
  it("sends the browser to the IdP with the authorization-code flow, PKCE S256, state and nonce", async () => {
    const started = await start(`email=ada@acme.test&return_to=/console/`);
    const p = started.authorizeUrl.searchParams;
    expect(`${started.authorizeUrl.origin}${started.authorizeUrl.pathname}`).toBe(`${idp.issuer}/auth`);
    expect(p.get("response_type")).toBe("code");
    expect(p.get("client_id")).toBe(idp.clientId);
    expect(p.get("redirect_uri")).toBe(`${server.baseUrl}/auth/oidc/callback`);
    expect(p.get("code_challenge_method")).toBe("S256");
    expect(p.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get("scope")?.split(" ")).toEqual(expect.arrayContaining(["openid", "email", "profile"]));
    expect(started.state.length).toBeGreaterThanOrEqual(32);
    expect(started.nonce.length).toBeGreaterThanOrEqual(32);
    expect(p.get("login_hint")).toBe("ada@acme.test");
    // Stored server-side as hashes (state, binding) or encrypted (nonce, verifier): none is in the database.
    expectNoPlaintext(await server.sql`select * from oidc_logins`, [started.state, started.binding, started.nonce]);
  });

  it("finds the org by its id too, and answers plainly when nothing matches", async () => {
    await start(`organization_id=${org.organization.id}`);
    for (const [query, status] of [
      ["email=ada@nobody.test", 404],
      ["organization_id=0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01", 404],
      ["organization_id=nope", 400],
      ["email=not-an-address", 400],
      ["", 400],
    ] as const) {
      const res = await fetch(`${server.baseUrl}/auth/oidc/start?${query}`, { redirect: "manual" });
      expect(res.status, query).toBe(status);
    }
  });
});

describe("GET /auth/oidc/callback", () => {
  it("signs a new user in as a member of the org from the verified claims, and the same user the next time", async () => {
    const members = await memberCount();
    const entries = await auditMark();
    const started = await start("email=grace@acme.test&return_to=/console/runners");
    const forms = idTokenWith({ sub: "grace", nonce: started.nonce, email: "Grace@acme.test", name: "Grace Hopper" });
    const pending = await server.sql`select * from oidc_logins`;
    const res = await callback(started);
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get("location")).toBe("/console/runners");
    // The code was exchanged with the PKCE verifier and the client's credentials.
    expect(forms[0]?.get("code")).toBe("an-authorization-code");
    expect(forms[0]?.get("code_verifier")).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    // While pending, the login's verifier and nonce were stored encrypted only.
    expect(pending.length).toBeGreaterThan(0);
    expectNoPlaintext(pending, [forms[0]?.get("code_verifier") as string, started.nonce]);
    expect(forms[0]?.get("client_id")).toBe(idp.clientId);
    const session = sessionCookieOf(res) as string;
    const who = await identityWith(session);
    expect(who.status).toBe(200);
    const userId = (who.body.subject as { id: string }).id;
    const [member] = await server.sql`select name, email, role, kind from members where id = ${userId}`;
    expect(member).toEqual({ name: "Grace Hopper", email: "grace@acme.test", role: "member", kind: "user" });
    expect(await memberCount()).toBe((members as number) + 1);
    // The new member and the sign-in, each recorded with Grace as the actor and subject.
    const asGrace = {
      organization_id: org.organization.id,
      actor_principal: "user",
      actor_id: userId,
      subject_type: ResourceType.USER,
      subject_id: userId,
    };
    const first = await entries();
    expect(first).toMatchObject([
      { ...asGrace, action: "auth/user-provisioned" },
      { ...asGrace, action: "auth/sign-in" },
    ]);
    expect(first[1]?.request_id).toMatch(/\S/);

    const again = await start(`organization_id=${org.organization.id}`);
    idTokenWith({ sub: "grace", nonce: again.nonce, email: "grace@acme.test" });
    const second = await callback(again);
    expect(second.status).toBe(303);
    expect(((await identityWith(sessionCookieOf(second) as string)).body.subject as { id: string }).id).toBe(userId);
    expect(await memberCount()).toBe((members as number) + 1);
    expect((await entries()).map((e) => e.action)).toEqual(["auth/user-provisioned", "auth/sign-in", "auth/sign-in"]);
  });

  it("refuses an ID token for another audience", async () => {
    const members = (await memberCount()) as number;
    const started = await start("email=eve@acme.test");
    idTokenWith({ sub: "eve", nonce: started.nonce, email: "eve@acme.test", aud: "someone-else" });
    await expectRefused(await callback(started), 400, members, /could not be verified/);
    expect(lastVerificationFailure()).toMatch(/"aud" \(audience\)/);
  });

  it("refuses an ID token whose signature is not the issuer's", async () => {
    const members = (await memberCount()) as number;
    const started = await start("email=eve@acme.test");
    idTokenWith({ sub: "eve", nonce: started.nonce, email: "eve@acme.test" }, { otherKey: true });
    await expectRefused(await callback(started), 400, members, /could not be verified/);
    expect(lastVerificationFailure()).toMatch(/signature verification failed/);
  });

  it("refuses an expired ID token", async () => {
    const members = (await memberCount()) as number;
    const started = await start("email=eve@acme.test");
    const past = Math.floor(Date.now() / 1000) - 3600;
    idTokenWith({ sub: "eve", nonce: started.nonce, email: "eve@acme.test", iat: past - 300, exp: past });
    await expectRefused(await callback(started), 400, members, /could not be verified/);
    expect(lastVerificationFailure()).toMatch(/"exp" \(expiration time\)/);
  });

  it("refuses an ID token from another issuer", async () => {
    const members = (await memberCount()) as number;
    const started = await start("email=eve@acme.test");
    idTokenWith({ sub: "eve", nonce: started.nonce, email: "eve@acme.test", iss: "http://127.0.0.9:1" });
    await expectRefused(await callback(started), 400, members, /could not be verified/);
    expect(lastVerificationFailure()).toMatch(/"iss" \(issuer\)/);
  });

  it("refuses an ID token with another nonce", async () => {
    const members = (await memberCount()) as number;
    const started = await start("email=eve@acme.test");
    idTokenWith({ sub: "eve", nonce: "a-nonce-of-another-login", email: "eve@acme.test" });
    await expectRefused(await callback(started), 400, members, /could not be verified/);
    expect(lastVerificationFailure()).toMatch(/"nonce"/);
  });

  it("refuses a state it did not issue, and a callback without the browser's binding cookie", async () => {
    const members = (await memberCount()) as number;
    const entries = await auditMark();
    const started = await start("email=eve@acme.test");
    const forms = idTokenWith({ sub: "eve", nonce: started.nonce, email: "eve@acme.test" });
    await expectRefused(await callback(started, { state: "forged-state" }), 400, members, /unknown, already used/);
    await expectRefused(await callback(started, { binding: null }), 400, members, /not started in this browser/);
    await expectRefused(await callback(started, { binding: "another-browser" }), 400, members, /unknown/);
    expect(forms).toHaveLength(0); // no code was exchanged for any of them
    // A state that names no login names no org either: logged, no audit entry to file.
    expect(await entries()).toEqual([]);
  });

  it("answers an IdP error parameter with a page and a log line, writing no audit entry and using the login up", async () => {
    const entries = await auditMark();
    const from = server.logs.length;
    const started = await start("email=erin@acme.test");
    const params = new URLSearchParams({ error: "access_denied", state: started.state, iss: idp.issuer });
    const res = await fetch(`${server.baseUrl}/auth/oidc/callback?${params}`, {
      redirect: "manual",
      headers: { cookie: `${bindingName}=${started.binding}` },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("did not sign you in");
    expect(await entries()).toEqual([]);
    expect(
      server.logs.slice(from).some((l) => l.msg === "sign-in refused" && l.reason === "idp error access_denied"),
    ).toBe(true);
    idTokenWith({ sub: "erin", nonce: started.nonce, email: "erin@acme.test" });
    expect((await callback(started)).status).toBe(400);
  });

  it("fetches the discovery document once for a start and its callback and the next start, not each time", async () => {
    const from = idp.discoveryRequests;
    const started = await start("email=dora@acme.test");
    idTokenWith({ sub: "dora", nonce: started.nonce, email: "dora@acme.test" });
    expect((await callback(started)).status).toBe(303);
    await start("email=dora@acme.test");
    expect(idp.discoveryRequests - from).toBeLessThanOrEqual(1);
  });

  it("refuses a replayed callback", async () => {
    const started = await start("email=linus@acme.test");
    idTokenWith({ sub: "linus", nonce: started.nonce, email: "linus@acme.test" });
    expect((await callback(started)).status).toBe(303);
    const members = (await memberCount()) as number;
    await expectRefused(await callback(started), 400, members, /already used/);
  });

  it("refuses an email outside the configuration's domains, and one the IdP has not verified as true (false, missing or not a boolean)", async () => {
    const members = (await memberCount()) as number;
    const entries = await auditMark();
    const outside = await start("email=mallory@acme.test");
    idTokenWith({ sub: "mallory", nonce: outside.nonce, email: "mallory@elsewhere.test" });
    await expectRefused(await callback(outside), 403, members, /not in a domain/);
    const sub = await start("email=mallory@acme.test");
    idTokenWith({ sub: "mallory", nonce: sub.nonce, email: "mallory@sub.acme.test" });
    await expectRefused(await callback(sub), 403, members, /not in a domain/);
    const unverified = await start("email=mallory@acme.test");
    idTokenWith({ sub: "mallory", nonce: unverified.nonce, email: "mallory@acme.test", email_verified: false });
    await expectRefused(await callback(unverified), 403, members, /not verified/);
    const unsaid = await start("email=mallory@acme.test");
    idTokenWith({ sub: "mallory", nonce: unsaid.nonce, email: "mallory@acme.test", email_verified: undefined });
    await expectRefused(await callback(unsaid), 403, members, /not verified/);
    const stringly = await start("email=mallory@acme.test");
    idTokenWith({ sub: "mallory", nonce: stringly.nonce, email: "mallory@acme.test", email_verified: "true" });
    await expectRefused(await callback(stringly), 403, members, /not verified/);
    // Each refusal recorded under the org whose configuration was used, by no one known.
    expect(await entries()).toMatchObject(
      Array(5).fill({
        organization_id: org.organization.id,
        actor_principal: "unknown",
        actor_id: null,
        action: "auth/sign-in-failed",
        subject_type: ResourceType.UNSPECIFIED,
        subject_id: null,
      }),
    );
    expect(await entries()).toHaveLength(5);
  });

  it("refuses a suspended user", async () => {
    const first = await start("email=sam@acme.test");
    idTokenWith({ sub: "sam", nonce: first.nonce, email: "sam@acme.test" });
    const session = sessionCookieOf(await callback(first)) as string;
    const userId = ((await identityWith(session)).body.subject as { id: string }).id;
    await clientsFor(server.baseUrl, org.admin.token).users.setSuspended({ userId, suspended: true });
    expect((await identityWith(session)).status).toBe(401);
    const members = (await memberCount()) as number;
    const entries = await auditMark();
    const again = await start("email=sam@acme.test");
    idTokenWith({ sub: "sam", nonce: again.nonce, email: "sam@acme.test" });
    await expectRefused(await callback(again), 403, members, /suspended/);
    // The suspended user is known: the refusal names them.
    expect(await entries()).toMatchObject([
      { action: "auth/sign-in-failed", actor_principal: "user", actor_id: userId, subject_id: userId },
    ]);
  });

  it("refuses a login whose SSO configuration was deleted meanwhile, and ends the sessions it started", async () => {
    const other = await seedOrganization(server.sql, "Initech");
    const id = await activeConfiguration(other, ["initech.test"]);
    const first = await start("email=peter@initech.test");
    idTokenWith({ sub: "peter", nonce: first.nonce, email: "peter@initech.test" });
    const session = sessionCookieOf(await callback(first)) as string;
    expect((await identityWith(session)).status).toBe(200);
    const pending = await start("email=peter@initech.test");
    await clientsFor(server.baseUrl, other.admin.token).organization.deleteSSOConfiguration({ ssoConfigurationId: id });
    idTokenWith({ sub: "peter", nonce: pending.nonce, email: "peter@initech.test" });
    const res = await callback(pending);
    expect(res.status).toBe(400);
    expect(sessionCookieOf(res)).toBeUndefined();
    expect((await identityWith(session)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/auth/oidc/start?email=peter@initech.test`)).status).toBe(404);
  });

  it("keeps the client secret out of every log line", async () => {
    const from = server.logs.length;
    // A sign-in that exchanges the code with the secret, and one that fails verification after it.
    const ok = await start("email=logan@acme.test");
    idTokenWith({ sub: "logan", nonce: ok.nonce, email: "logan@acme.test" });
    expect((await callback(ok)).status).toBe(303);
    const bad = await start("email=logan@acme.test");
    idTokenWith({ sub: "logan", nonce: bad.nonce, email: "logan@acme.test" }, { otherKey: true });
    expect((await callback(bad)).status).toBe(400);
    const lines = server.logs.slice(from);
    expect(lines.some((l) => l.msg === "signed in" && l.method === "oidc")).toBe(true);
    expect(lines.some((l) => l.msg === "OIDC login not verified")).toBe(true);
    expect(lines.some((l) => l.msg === "sign-in refused" && l.method === "oidc")).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(idp.clientSecret);
  });
});

describe("an organization's SSO configuration", () => {
  it("does not let another org's admin read it", async () => {
    const other = await seedOrganization(server.sql, "Globex");
    const error = await callError(
      clientsFor(server.baseUrl, other.admin.token).organization.getSSOConfiguration({
        ssoConfigurationId: configurationId,
      }),
    );
    expect(error.code).toBe(Code.NotFound);
  });
});
