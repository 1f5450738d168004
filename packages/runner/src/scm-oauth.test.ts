/**
 * Connecting an SCM account through OAuth, end to end (behaviour.md §11, docs/scm-oauth.md):
 * the real server and Postgres, the reference runner as its own process (dist/main.js), the
 * fake SCM and the fake OAuth provider beside it — once in a real headless Chromium, and
 * every failure over plain HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  Code,
  createRunnerplaneClient,
  errorCode,
  parseContextPreconditionDetails,
  type RunnerplaneClient,
} from "@runnerplane/client";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import {
  expectNoPlaintext,
  type SeededMember,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "@runnerplane/server/testing";
import { launchBrowser, type TestBrowser } from "@runnerplane/server/testing/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOAuthProvider, startFakeOAuthProvider } from "./testing/fake-oauth-provider.js";
import { type FakeScmData, type FakeScmServer, startFakeScmServer } from "./testing/fake-scm-server.js";

const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const github = "github.fake.test";
const gitlab = "gitlab.fake.test";
const secrets = { github: "gh-client-secret-value", gitlab: "gl-client-secret-value" };

let server: TestServer;
let publicUrl: string;
let scm: FakeScmServer;
let scmData: FakeScmData;
let provider: FakeOAuthProvider;
let stateDir: string;
let runnerProcess: ChildProcess | undefined;
let runnerId: string;
let organizationId: string;
let admin: RunnerplaneClient;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function until(what: string, check: () => Promise<boolean>, ms = 30_000) {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

const extensionStreams = async () => {
  const [row] = await server.sql<{ n: number }[]>`
    select count(*)::int as n from runner_connections where runner_id = ${runnerId} and lane = 'runnerplane'`;
  return row?.n ?? 0;
};

const hostTokensOf = (subjectId: string) =>
  server.sql`select * from host_authentication_tokens where subject_id = ${subjectId}`;

interface User {
  seeded: SeededMember;
  client: RunnerplaneClient;
  /** The browser's session cookie after `POST /auth/token` (`rp_session=…`). */
  session: string;
}

/** Signs in as a browser does (same origin, the user's token): the session cookie. */
async function signIn(token: string): Promise<string> {
  const res = await fetch(`${publicUrl}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: publicUrl },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0]?.split(";", 1)[0] ?? "";
}

async function newUser(name: string): Promise<User> {
  const seeded = await seedMember(server.sql, organizationId, { name });
  return {
    seeded,
    client: createRunnerplaneClient({ baseUrl: server.baseUrl, token: seeded.token }),
    session: await signIn(seeded.token),
  };
}

async function linkFor(client: RunnerplaneClient, host: string): Promise<string> {
  const answer = await client.runners.checkAuthenticationForHost({ runnerId, host });
  expect(answer.authenticated).toBe(false);
  return answer.supportsOauth2?.authUrl ?? "";
}

/**
 * GET /auth/oauth2/start in a browser signed in as `as` (none: not signed in), without
 * following the redirect: the authorize URL and the browser-binding cookie.
 */
async function start(link: string, as: User | undefined) {
  const res = await fetch(link, { redirect: "manual", headers: as ? { cookie: as.session } : {} });
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { res, authorizeUrl: res.headers.get("location") ?? "", cookie };
}

/** What the provider's Authorize / Deny buttons do: its answer is a redirect to the callback. */
async function decide(authorizeUrl: string, decision: "allow" | "deny"): Promise<string> {
  const u = new URL(authorizeUrl);
  const page = await fetch(u);
  expect(page.status).toBe(200);
  const form = new URLSearchParams({ decision });
  for (const k of ["client_id", "redirect_uri", "state", "code_challenge", "scope"]) {
    form.set(k, u.searchParams.get(k) ?? "");
  }
  const res = await fetch(`${u.origin}${u.pathname}/decide`, { method: "POST", body: form, redirect: "manual" });
  expect(res.status).toBe(302);
  return res.headers.get("location") ?? "";
}

const callback = (url: string, cookie: string | undefined) =>
  fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });

function startRunnerProcess(exchangeToken: string) {
  runnerProcess = spawn(
    process.execPath,
    [
      mainJs,
      "--server",
      server.baseUrl,
      "--exchange-token",
      exchangeToken,
      "--state-dir",
      stateDir,
      "--scm-api",
      `${github}=${scm.url}/github`,
      "--scm-api",
      `${gitlab}=${scm.url}/gitlab/api/v4`,
      "--scm-oauth",
      `${github}=${provider.url}/github/login/oauth/authorize,${provider.url}/github/login/oauth/access_token`,
      "--scm-oauth",
      `${gitlab}=${provider.url}/gitlab/oauth/authorize,${provider.url}/gitlab/oauth/token`,
      "--heartbeat-ms",
      "1000",
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH ?? "" } },
  );
  runnerProcess.stderr?.on("data", (c: Buffer) => process.env.RUNNER_DEBUG && process.stderr.write(c));
}

beforeAll(async () => {
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  server = await startTestServer({ port, config: { publicUrl } });
  scmData = {
    tokens: [],
    repos: [
      { owner: "acme", name: "secret", private: true, defaultBranch: "trunk" },
      { owner: "acme", name: "lab", private: true, defaultBranch: "main" },
    ],
  };
  scm = await startFakeScmServer(scmData);
  const redirectUri = `${publicUrl}/auth/oauth2/callback`;
  provider = await startFakeOAuthProvider({
    clients: [
      { clientId: "gh-client", clientSecret: secrets.github, redirectUri },
      { clientId: "gl-client", clientSecret: secrets.gitlab, redirectUri },
    ],
    login: "octocat",
    scm: scmData,
    grants: ["acme/secret", "acme/lab"],
  });
  stateDir = await mkdtemp(path.join(tmpdir(), "runnerplane-oauth-"));
  const org = await seedOrganization(server.sql, "OAuth");
  organizationId = org.organization.id;
  admin = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
  const created = await admin.runners.createRunner({ name: "oauth runner", provider: RunnerProvider.AWS_EC2 });
  runnerId = created.runner?.runnerId ?? "";
  startRunnerProcess(created.exchangeToken);
  // Signed up (its key seals the client secrets) and listening on the extension stream.
  await until("the runner's extension stream", async () => (await extensionStreams()) > 0, 60_000);
  await admin.configuration.createSCMIntegration({
    runnerId,
    scmId: "github",
    host: github,
    oauthClientId: "gh-client",
    oauthPlaintextClientSecret: secrets.github,
    pat: true,
  });
  await admin.configuration.createSCMIntegration({
    runnerId,
    scmId: "gitlab",
    host: gitlab,
    oauthClientId: "gl-client",
    oauthPlaintextClientSecret: secrets.gitlab,
    pat: true,
  });
}, 180_000);

afterAll(async () => {
  runnerProcess?.kill("SIGKILL");
  await provider?.close();
  await scm?.close();
  await server?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("connecting a GitHub account in a real browser", () => {
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("authorizes at the SCM, stores the token, and then private repositories parse — refreshed once expired", async () => {
    const alice = await newUser("Alice");
    const before = await alice.client.runners.checkAuthenticationForHost({ runnerId, host: github });
    expect(before).toMatchObject({ authenticated: false, scmId: "github" });
    const link = before.supportsOauth2?.authUrl ?? "";
    expect(link).toMatch(new RegExp(`^${publicUrl}/auth/oauth2/start\\?attempt=[0-9a-f-]{36}$`));
    expect(before.authenticationUrl).toBe(link);
    expect(before.supportsPat?.createUrl).toContain(github);

    const context = await browser.newContext();
    const page = await context.newPage();
    // Not signed in: the link asks for it, and leads to the sign-in with a way back.
    await page.goto(link);
    await page.getByRole("heading", { name: "Sign in first" }).waitFor();
    const signInHref = await page.getByRole("link", { name: "Sign in" }).getAttribute("href");
    expect(signInHref).toBe(`/?return_to=${encodeURIComponent(new URL(link).pathname + new URL(link).search)}`);
    // Signing in from the page (same origin, as the console's sign-in form does) sets the session cookie.
    const signedIn = await page.request.post(`${publicUrl}/auth/token`, {
      headers: { origin: publicUrl },
      data: { token: alice.seeded.token },
    });
    expect(signedIn.status()).toBe(200);
    await page.goto(link);
    await page.getByRole("heading", { name: "Authorize runnerplane" }).waitFor();
    const binding = (await context.cookies()).find((c) => c.name.startsWith("rp_oauth_"));
    expect(binding).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/auth/oauth2" });
    await page.getByRole("button", { name: "Authorize" }).click();
    await page.getByRole("heading", { name: `Connected ${github}` }).waitFor();
    expect(await page.getByText(`Connected ${github} as octocat`).count()).toBe(1);
    expect(new URL(page.url()).pathname).toBe("/auth/oauth2/callback");
    await context.close();

    const after = await alice.client.runners.checkAuthenticationForHost({ runnerId, host: github });
    expect(after.authenticated).toBe(true);
    const parsed = await alice.client.runners.parseContextURL({
      runnerId,
      contextUrl: `https://${github}/acme/secret`,
    });
    expect(parsed.git).toMatchObject({ owner: "acme", repo: "secret", branch: "trunk" });

    const { tokens } = await alice.client.configuration.listHostAuthenticationTokens({
      filter: { subjectId: alice.seeded.member.id },
    });
    expect(tokens).toHaveLength(1);
    const stored = tokens[0];
    expect(stored).toMatchObject({ host: github, source: HostAuthenticationTokenSource.OAUTH, runnerId });
    expect(stored?.integrationId).not.toBe("");
    expect(stored?.scopes).toEqual(["repo", "read:user"]);
    expect(timestampDate(stored?.expiresAt ?? timestampFromDate(new Date(0))).getTime()).toBeGreaterThan(Date.now());
    // Neither the client secret nor the token is in the database in the clear.
    const [token] = provider.liveAccessTokens();
    expectNoPlaintext(await hostTokensOf(alice.seeded.member.id), [token ?? "?", secrets.github]);
    expectNoPlaintext(await server.sql`select * from scm_login_attempts`, [token ?? "?"]);
    expectNoPlaintext(server.logs, [token ?? "?", secrets.github]);

    // Time passes: the token expires. The next call refreshes it first, and works with the new one.
    await alice.client.configuration.updateHostAuthenticationToken({
      id: stored?.id ?? "",
      expiresAt: timestampFromDate(new Date(Date.now() - 60_000)),
    });
    const refreshesBefore = provider.tokenRequests.filter((r) => r.grantType === "refresh_token").length;
    const again = await alice.client.runners.parseContextURL({ runnerId, contextUrl: `https://${github}/acme/secret` });
    expect(again.git?.branch).toBe("trunk");
    expect(provider.tokenRequests.filter((r) => r.grantType === "refresh_token" && r.status === 200)).toHaveLength(
      refreshesBefore + 1,
    );
    // The old access token no longer works at the fake SCM: the success above used the new one.
    expect(provider.liveAccessTokens()).not.toContain(token);
    const refreshed = await alice.client.configuration.getHostAuthenticationToken({ id: stored?.id ?? "" });
    expect(timestampDate(refreshed.token?.expiresAt ?? timestampFromDate(new Date(0))).getTime()).toBeGreaterThan(
      Date.now(),
    );

    // The user revokes the app at the SCM: the refresh is rejected → failed_precondition with a fresh link.
    provider.revokeRefreshTokens();
    await alice.client.configuration.updateHostAuthenticationToken({
      id: stored?.id ?? "",
      expiresAt: timestampFromDate(new Date(Date.now() - 60_000)),
    });
    const error = await alice.client.runners
      .parseContextURL({ runnerId, contextUrl: `https://${github}/acme/secret` })
      .catch((e: unknown) => e);
    expect(errorCode(error)).toBe(Code.FailedPrecondition);
    expect(parseContextPreconditionDetails(error)?.authenticationRequiredUrl).toMatch(
      new RegExp(`^${publicUrl}/auth/oauth2/start\\?attempt=`),
    );
    const check = await alice.client.runners.checkAuthenticationForHost({ runnerId, host: github });
    expect(check.authenticated).toBe(false);
    expect(check.supportsOauth2?.authUrl).toMatch(new RegExp(`^${publicUrl}/auth/oauth2/start\\?attempt=`));
  }, 120_000);
});

describe("the OAuth pages over plain HTTP", () => {
  it("the runner's schema names the server's one callback URL for every SCM", async () => {
    const { schema } = await admin.configuration.getRunnerConfigurationSchema({ runnerId });
    expect(schema?.scm.map((s) => s.scmId)).toEqual(["github", "gitlab", "bitbucket", "azuredevops"]);
    for (const s of schema?.scm ?? []) expect(s.oauth?.callbackUrl).toBe(`${publicUrl}/auth/oauth2/callback`);
  });

  it("a service account gets the PAT guidance, no link, even where OAuth works for people", async () => {
    const robot = await seedMember(server.sql, organizationId, { name: "Robot", kind: "service_account" });
    const client = createRunnerplaneClient({ baseUrl: server.baseUrl, token: robot.token });
    const answer = await client.runners.checkAuthenticationForHost({ runnerId, host: github });
    expect(answer.authenticated).toBe(false);
    expect(answer.supportsOauth2).toBeUndefined();
    expect(answer.supportsPat?.createUrl).toContain(github);
    expect(answer.authenticationUrl).toBe(answer.supportsPat?.createUrl);
    expect(await server.sql`select id from scm_login_attempts where subject_id = ${robot.member.id}`).toHaveLength(0);
  });

  it("a user without an OAuth app for the host gets the PAT guidance, no link", async () => {
    const user = await newUser("Pat");
    const answer = await user.client.runners.checkAuthenticationForHost({ runnerId, host: "bitbucket.org" });
    expect(answer.authenticated).toBe(false);
    expect(answer.supportsOauth2).toBeUndefined();
    expect(answer.authenticationUrl).toBe(answer.supportsPat?.createUrl);
    expect(
      await server.sql`select id from scm_login_attempts where subject_id = ${user.seeded.member.id}`,
    ).toHaveLength(0);
  });

  it("completes a GitLab flow, and redirects to an own-origin return_to", async () => {
    const bob = await newUser("Bob");
    const link = await linkFor(bob.client, gitlab);
    const { res, authorizeUrl, cookie } = await start(`${link}&return_to=${encodeURIComponent("/console/done")}`, bob);
    expect(res.status).toBe(302);
    const authorize = new URL(authorizeUrl);
    expect(authorize.pathname).toBe("/gitlab/oauth/authorize");
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: "gl-client",
      redirect_uri: `${publicUrl}/auth/oauth2/callback`,
      response_type: "code",
      code_challenge_method: "S256",
    });
    const entriesBefore = await server.sql<{ id: string }[]>`select id from audit_log`;
    const done = await callback(await decide(authorizeUrl, "allow"), cookie);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`${publicUrl}/console/done`);
    const stored = await hostTokensOf(bob.seeded.member.id);
    expect(stored).toHaveLength(1);
    // The connection's one audit entry: the host token the runner stored for Bob (docs/scm-oauth.md).
    const entries = await server.sql`
      select actor_principal, actor_id, action, subject_id from audit_log
       where not (id = any(${entriesBefore.map((e) => e.id)}::uuid[]))`;
    expect(entries).toEqual([
      {
        actor_principal: "runner",
        actor_id: runnerId,
        action: "gitpod.v1.RunnerConfigurationService/CreateHostAuthenticationToken",
        subject_id: stored[0]?.id,
      },
    ]);
    const parsed = await bob.client.runners.parseContextURL({ runnerId, contextUrl: `https://${gitlab}/acme/lab` });
    expect(parsed.git?.branch).toBe("main");
  });

  it("ignores a return_to on another origin and shows the success page", async () => {
    const user = await newUser("Rita");
    const { authorizeUrl, cookie } = await start(
      `${await linkFor(user.client, github)}&return_to=${encodeURIComponent("https://evil.example/x")}`,
      user,
    );
    const done = await callback(await decide(authorizeUrl, "allow"), cookie);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain(`Connected ${github} as octocat`);
  });

  it("ignores a return_to with a scheme, even this server's own (the sign-in pages' one rule), and shows the success page", async () => {
    const user = await newUser("Sam");
    const { authorizeUrl, cookie } = await start(
      `${await linkFor(user.client, github)}&return_to=${encodeURIComponent(`${publicUrl}/console/done`)}`,
      user,
    );
    const done = await callback(await decide(authorizeUrl, "allow"), cookie);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain(`Connected ${github} as octocat`);
  });

  it("the user denies access → 403, nothing stored", async () => {
    const user = await newUser("Dora");
    const { authorizeUrl, cookie } = await start(await linkFor(user.client, gitlab), user);
    const res = await callback(await decide(authorizeUrl, "deny"), cookie);
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("You declined access");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(0);
  });

  it("a replayed callback → 400, nothing more stored", async () => {
    const user = await newUser("Rey");
    const { authorizeUrl, cookie } = await start(await linkFor(user.client, github), user);
    const denied = await decide(authorizeUrl, "deny");
    expect((await callback(denied, cookie)).status).toBe(403);
    // The same state again, now with a code: the attempt is used up.
    const replay = new URL(denied);
    replay.searchParams.delete("error");
    replay.searchParams.set("code", "any");
    const res = await callback(replay.href, cookie);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("already used");
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(0);
  });

  it("a used-up link cannot be started again, and an unknown state is refused", async () => {
    const user = await newUser("Uma");
    const link = await linkFor(user.client, github);
    const { authorizeUrl, cookie } = await start(link, user);
    expect((await callback(await decide(authorizeUrl, "allow"), cookie)).status).toBe(200);
    expect((await start(link, user)).res.status).toBe(400);
    const unknown = await callback(`${publicUrl}/auth/oauth2/callback?code=x&state=nope`, cookie);
    expect(unknown.status).toBe(400);
    expect((await fetch(`${publicUrl}/auth/oauth2/start?attempt=not-a-uuid`)).status).toBe(400);
    expect((await fetch(link, { method: "POST" })).status).toBe(405);
  });

  it("an expired attempt → 400 at start and at the callback, nothing stored", async () => {
    const user = await newUser("Ezra");
    const link = await linkFor(user.client, github);
    const attempt = new URL(link).searchParams.get("attempt") ?? "";
    const { authorizeUrl, cookie } = await start(link, user);
    const back = await decide(authorizeUrl, "allow");
    // Ten minutes pass.
    await server.sql`update scm_login_attempts set expires_at = now() - interval '1 second' where id = ${attempt}`;
    const res = await callback(back, cookie);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("longer than 10 minutes");
    expect((await start(link, user)).res.status).toBe(400);
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(0);
  });

  it("a callback from another browser (no cookie, or a forged one) → 400; the real browser still finishes", async () => {
    const user = await newUser("Cleo");
    const { authorizeUrl, cookie } = await start(await linkFor(user.client, github), user);
    const back = await decide(authorizeUrl, "allow");
    expect((await callback(back, undefined)).status).toBe(400);
    const forged = `${cookie.split("=")[0]}=${"A".repeat(43)}`;
    const res = await callback(back, forged);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("started in another browser");
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(0);
    expect((await callback(back, cookie)).status).toBe(200);
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(1);
  });

  it("another user's callback opened in my browser → 400, nothing stored for either", async () => {
    const mallory = await newUser("Mallory");
    const victim = await newUser("Victor");
    // Mallory authorizes her own attempt but does not finish it; she sends the callback URL to Victor.
    const theirs = await start(await linkFor(mallory.client, github), mallory);
    const planted = await decide(theirs.authorizeUrl, "allow");
    // Victor's browser has a binding of its own, for his own attempt.
    const mine = await start(await linkFor(victim.client, github), victim);
    const res = await callback(planted, mine.cookie);
    expect(res.status).toBe(400);
    expect(await hostTokensOf(mallory.seeded.member.id)).toHaveLength(0);
    expect(await hostTokensOf(victim.seeded.member.id)).toHaveLength(0);
  });

  it("the SCM's token endpoint down → 502, nothing stored", async () => {
    const user = await newUser("Tess");
    const { authorizeUrl, cookie } = await start(await linkFor(user.client, gitlab), user);
    const back = await decide(authorizeUrl, "allow");
    provider.failTokenEndpoint(503);
    try {
      const res = await callback(back, cookie);
      expect(res.status).toBe(502);
      expect(await res.text()).toContain("Nothing was connected");
    } finally {
      provider.failTokenEndpoint(undefined);
    }
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(0);
  });

  it("a link opened without signing in → 401 page leading to the sign-in and back; nothing stored", async () => {
    const user = await newUser("Nell");
    const link = await linkFor(user.client, github);
    const attempt = new URL(link).searchParams.get("attempt") ?? "";
    const { res, cookie } = await start(link, undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(cookie).toBe("");
    const page = await res.text();
    expect(page).toContain("Sign in first");
    expect(page).toContain(`href="/?return_to=${encodeURIComponent(`/auth/oauth2/start?attempt=${attempt}`)}"`);
    // A session that ended (signed out) is no session either.
    const ended = await signIn(user.seeded.token);
    await fetch(`${publicUrl}/auth/logout`, { method: "POST", headers: { origin: publicUrl, cookie: ended } });
    const afterLogout = await fetch(link, { redirect: "manual", headers: { cookie: ended } });
    expect(afterLogout.status).toBe(401);
    const [row] = await server.sql`select state_hash from scm_login_attempts where id = ${attempt}`;
    expect(row?.state_hash).toBeNull();
    // Signed in, the same link works.
    const { authorizeUrl, cookie: binding } = await start(link, user);
    expect((await callback(await decide(authorizeUrl, "allow"), binding)).status).toBe(200);
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(1);
  });

  it("someone else's link opened in my signed-in browser → 403, nothing stored for either; its owner still can", async () => {
    const owner = await newUser("Olga");
    const tricked = await newUser("Tom");
    const link = await linkFor(owner.client, github);
    const { res, cookie } = await start(link, tricked);
    expect(res.status).toBe(403);
    expect(cookie).toBe("");
    expect(await res.text()).toContain("made for another account");
    expect(await hostTokensOf(owner.seeded.member.id)).toHaveLength(0);
    expect(await hostTokensOf(tricked.seeded.member.id)).toHaveLength(0);
    const attempt = new URL(link).searchParams.get("attempt") ?? "";
    const [row] = await server.sql`select state_hash from scm_login_attempts where id = ${attempt}`;
    expect(row?.state_hash).toBeNull();
    const { authorizeUrl, cookie: binding } = await start(link, owner);
    expect((await callback(await decide(authorizeUrl, "allow"), binding)).status).toBe(200);
    expect(await hostTokensOf(owner.seeded.member.id)).toHaveLength(1);
    expect(await hostTokensOf(tricked.seeded.member.id)).toHaveLength(0);
  });

  // Last: it stops the runner.
  it("the runner offline → 503 at the callback and at start, nothing stored", async () => {
    const user = await newUser("Otto");
    const link = await linkFor(user.client, github);
    const spare = await linkFor(user.client, github);
    const { authorizeUrl, cookie } = await start(link, user);
    const back = await decide(authorizeUrl, "allow");
    runnerProcess?.kill("SIGKILL");
    await until("the runner's streams to end", async () => (await extensionStreams()) === 0);
    const res = await callback(back, cookie);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("not connected");
    expect((await start(spare, user)).res.status).toBe(503);
    expect(await hostTokensOf(user.seeded.member.id)).toHaveLength(0);
  }, 60_000);
});
