/**
 * The console in a real headless Chromium against the real server and Postgres: signing in and
 * out, runners (create, token shown once, start the reference runner with the shown command,
 * live phase, filters, pagination), the schema-driven environment-class form, people pages,
 * error and not-allowed states, both widths and keyboard reachability. Screenshots of each page
 * at both widths go to test-results/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRunnerplaneClient } from "@runnerplane/client";
import { Principal } from "@runnerplane/client/gitpod/v1/identity_pb";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { LogLevel, RunnerReleaseChannel, RunnerRole } from "@runnerplane/client/gitpod/v1/runner_pb";
import { expectNoPlaintext } from "@runnerplane/server/testing";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeOAuthProvider, startFakeOAuthProvider } from "../../runner/src/testing/fake-oauth-provider.js";
import { type FakeScmData, type FakeScmServer, startFakeScmServer } from "../../runner/src/testing/fake-scm-server.js";
import { type ConsoleFixture, horizontalOverflow, screenshot, signInWithToken, startConsole } from "./console-fixture";

const runnerMain = fileURLToPath(new URL("../../runner/dist/main.js", import.meta.url));

let fx: ConsoleFixture;
let page: Page;
let log: string[];
let runnerProcess: ChildProcess | undefined;
let stateDir: string;
// github.com, as the reference runner sees it, is the fake SCM and the fake OAuth provider
// (the runner's --scm-api / --scm-oauth host overrides): a public and a private repository, an
// OAuth app whose client id and secret the SCM-integration test enters in the console.
let scm: FakeScmServer;
let provider: FakeOAuthProvider;
const scmData: FakeScmData = {
  tokens: ["ghp_console_test_token"],
  logins: { ghp_console_test_token: "console-pat-user" },
  repos: [
    { owner: "acme", name: "app", defaultBranch: "main" },
    { owner: "acme", name: "secret", private: true, defaultBranch: "trunk" },
  ],
};
const oauthApp = { clientId: "client-1", clientSecret: "s3cret-value" };

beforeAll(async () => {
  fx = await startConsole();
  ({ page, log } = await fx.newPage());
  stateDir = await mkdtemp(join(tmpdir(), "console-runner-"));
  scm = await startFakeScmServer(scmData);
  provider = await startFakeOAuthProvider({
    clients: [{ ...oauthApp, redirectUri: `${fx.server.baseUrl}/auth/oauth2/callback` }],
    login: "octocat",
    scm: scmData,
    grants: ["acme/secret"],
  });
});
afterAll(async () => {
  runnerProcess?.kill("SIGTERM");
  await provider?.close();
  await scm?.close();
  await fx?.close();
  await rm(stateDir, { recursive: true, force: true });
});
afterEach((ctx) => {
  // Both sides of a failure: the browser's console and the RPCs it made (with the runner's
  // log), and what the server warned of.
  if (ctx.task.result?.state === "fail") {
    console.error(`browser log:\n${log.join("\n")}`);
    const warnings = fx.server.logs.filter((l) => l.level === "warn" || l.level === "error");
    console.error(`server warnings:\n${warnings.map((l) => JSON.stringify(l)).join("\n")}`);
  }
  log.length = 0;
});

describe("signing in", () => {
  it("shows sign-in first, with labelled SSO and personal-access-token fields reachable by keyboard", async () => {
    await page.goto("/runners");
    // waitFor, not isVisible: the page renders after its script loads, later on a busy machine.
    await page.getByRole("heading", { name: "Sign in to runnerplane" }).waitFor();
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      reached.push(
        await page.evaluate(
          () => document.activeElement?.getAttribute("id") || document.activeElement?.textContent || "",
        ),
      );
    }
    const email = await page.getByLabel("Work email").getAttribute("id");
    const pat = await page.getByLabel("Personal access token").getAttribute("id");
    expect(reached).toContain(email);
    expect(reached).toContain(pat);
    expect(reached).toContain("Continue with SSO");
    expect(reached).toContain("Sign in with token");
    await screenshot(page, "sign-in");
  });

  it("shows the server's answer to a wrong token and stays on sign-in", async () => {
    await page.getByLabel("Personal access token").fill("rp_pat_not-a-real-token");
    await page.getByRole("button", { name: "Sign in with token" }).click();
    const error = page.locator(".field-error");
    await error.waitFor();
    // The server's own message (401 from POST /auth/token), beside the field.
    expect(await error.textContent()).toMatch(/token/i);
    expect(await page.getByLabel("Personal access token").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("heading", { name: "Sign in to runnerplane" }).isVisible()).toBe(true);
  });

  it("signs in with a personal access token, and a reload stays signed in", async () => {
    await signInWithToken(page, fx.org.admin.token);
    await page.reload();
    await page.getByRole("heading", { name: "Runners", level: 1 }).waitFor();
    expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
    // The token never reaches page storage: the session is an HttpOnly cookie.
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie,
    );
    expect(stored).not.toContain(fx.org.admin.token);
  });
});

let runnerId = "";

describe("runners", () => {
  let command = "";

  it("shows the empty state with the action to take", async () => {
    await page.goto("/runners");
    await page.getByText("No runners yet.").waitFor();
    expect(await page.getByRole("link", { name: "Create a runner" }).isVisible()).toBe(true);
  });

  it("creates a runner and shows its exchange token once, with a start command for the reference runner", async () => {
    await page.getByRole("link", { name: "Create runner" }).click();
    await page.getByLabel("Name").fill("Build box");
    await page.getByLabel("Where it runs").selectOption({ label: "Linux host" });
    await screenshot(page, "create-runner");
    await page.getByRole("button", { name: "Create runner" }).click();
    const token = await page.getByLabel("Exchange token", { exact: true }).inputValue();
    expect(token).toMatch(/^rp_/);
    command = await page.getByLabel("Start command", { exact: true }).inputValue();
    expect(command).toContain(`--server ${fx.server.baseUrl}`);
    expect(command).toContain(`--exchange-token ${token}`);
    expect(await page.getByRole("button", { name: "Copy exchange token" }).isVisible()).toBe(true);
    await screenshot(page, "runner-created");
    await page.getByRole("link", { name: "Go to the runner" }).click();
    await page.getByRole("heading", { name: "Build box" }).waitFor();
    runnerId = new URL(page.url()).pathname.split("/")[2] ?? "";
    // Shown once: the runner's page does not have it.
    expect(await page.content()).not.toContain(token);
  });

  it("starts the reference runner with the shown command and watches it turn active", async () => {
    const args = command.split(/\s+/).slice(1);
    const option = (name: string) => args[args.indexOf(name) + 1] ?? "";
    runnerProcess = spawn(
      process.execPath,
      [
        runnerMain,
        "--server",
        option("--server"),
        "--exchange-token",
        option("--exchange-token"),
        "--state-dir",
        stateDir,
        "--scm-api",
        `github.com=${scm.url}/github`,
        "--scm-oauth",
        `github.com=${provider.url}/github/login/oauth/authorize,${provider.url}/github/login/oauth/access_token`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    runnerProcess.stderr?.on("data", (d: Buffer) => log.push(`runner: ${d.toString().trim()}`));
    await page.locator(".badge", { hasText: "Active" }).first().waitFor({ timeout: 60_000 });
    expect((await fx.admin.runners.getRunner({ runnerId })).runner?.status?.version).not.toBe("");
    await screenshot(page, "runner");
  });

  it("lists runners with phase, kind and provider, filters them and pages through them", async () => {
    for (let i = 0; i < 21; i++) {
      await fx.admin.runners.createRunner({
        name: `cloud ${String(i).padStart(2, "0")}`,
        provider: RunnerProvider.GCP,
      });
    }
    await page.goto("/runners");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "Build box" }) });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Active.*Local.*Linux host/);
    const clouds = page.getByRole("link", { name: /^cloud / });
    await page.getByLabel("Kind").selectOption({ label: "Local" });
    await expect.poll(() => clouds.count()).toBe(0);
    await row.waitFor();
    await page.getByLabel("Kind").selectOption({ label: "All kinds" });
    await page.getByLabel("Provider").selectOption({ label: "GCP" });
    // 21 GCP runners, 20 a page; the Linux host is filtered out.
    await row.waitFor({ state: "detached" });
    await expect.poll(() => clouds.count()).toBe(20);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 2").waitFor();
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByText("Page 1").waitFor();
    await screenshot(page, "runners");
  });

  it("creates an environment class through the schema form, showing the schema's and the runner's errors first", async () => {
    await page.goto(`/runners/${runnerId}/environment-classes`);
    await page.getByText("This runner has no environment classes yet.", { exact: false }).waitFor();
    await page.getByLabel("Display name").fill("Large");
    await page.getByLabel("Description").fill("xy");
    await page.getByLabel("CPU cores").fill("999");
    await page.getByRole("button", { name: "Check and create" }).click();
    // The schema says 1..64: checked in the browser before anything is sent.
    await page.getByText("must be between 1 and 64, got 999").waitFor();
    await page.getByLabel("CPU cores").fill("8");
    await page.getByRole("button", { name: "Check and create" }).click();
    // ValidateRunnerConfiguration's verdict, shown beside the description.
    const description = page.getByLabel("Description");
    await expect.poll(() => description.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await page.getByLabel("CPU cores").getAttribute("aria-invalid")).toBeNull();
    await screenshot(page, "environment-classes-invalid");
    await description.fill("Eight cores for big builds");
    await page.getByRole("button", { name: "Check and create" }).click();
    await page.getByText("Environment class Large created.").waitFor();
    const classes = (await fx.admin.configuration.listEnvironmentClasses({ filter: { runnerIds: [runnerId] } }))
      .environmentClasses;
    expect(classes.map((c) => [c.displayName, c.configuration.find((v) => v.key === "cpu")?.value])).toEqual([
      ["Large", "8"],
    ]);
    await page.getByRole("button", { name: "Disable Large" }).click();
    await page.getByRole("button", { name: "Enable Large" }).waitFor();
    await screenshot(page, "environment-classes");
  });

  it("edits the runner's configuration, showing the server's refusal of a bad update window first", async () => {
    await page.goto(`/runners/${runnerId}`);
    await page.getByRole("heading", { name: "Configuration" }).waitFor();
    await page.getByLabel("Release channel").selectOption({ label: "Latest" });
    await page.getByLabel("Log level").selectOption({ label: "Debug" });
    await page.getByLabel("Update window from (UTC hour)").fill("22");
    await page.getByLabel("Update window until (UTC hour)").fill("23");
    await page.getByLabel("Collect metrics").check();
    await page.getByLabel("Metrics URL").fill("https://metrics.example.test/api/v1/write");
    await page.getByLabel("Metrics user name").fill("runner");
    await page.getByLabel("Metrics password").fill("metrics-pass-value");
    await page.getByLabel("Cache dev container images").check();
    await page.getByLabel("Honeycomb API key").fill("honeycomb-key-value");
    await page.getByRole("button", { name: "Save configuration" }).click();
    // One hour is too short: the server's message, and nothing changed.
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/invalid_argument.*at least 2 hours|at least 2 hours.*invalid_argument/s);
    expect((await fx.admin.runners.getRunner({ runnerId })).runner?.spec?.configuration?.logLevel).not.toBe(
      LogLevel.DEBUG,
    );
    await screenshot(page, "runner-configuration-invalid");
    await page.getByLabel("Update window until (UTC hour)").fill("4");
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    const config = (await fx.admin.runners.getRunner({ runnerId })).runner?.spec?.configuration;
    expect(config).toMatchObject({
      releaseChannel: RunnerReleaseChannel.LATEST,
      logLevel: LogLevel.DEBUG,
      devcontainerImageCacheEnabled: true,
      updateWindow: { startHour: 22, endHour: 4 },
      metrics: { enabled: true, url: "https://metrics.example.test/api/v1/write", username: "runner" },
    });
    expect(config?.encryptedHoneycombApiKey.length).toBeGreaterThan(0);
    // Write-only: the secrets are not shown back, and the database holds them sealed.
    await page.reload();
    await page.getByRole("heading", { name: "Configuration" }).waitFor();
    expect(await page.getByLabel("Metrics password").inputValue()).toBe("");
    expect(await page.getByLabel("Update window until (UTC hour)").inputValue()).toBe("4");
    expect(await page.content()).not.toContain("metrics-pass-value");
    expectNoPlaintext(await fx.server.sql`select * from runners where id = ${runnerId}`, [
      "metrics-pass-value",
      "honeycomb-key-value",
    ]);
    await screenshot(page, "runner-configuration");
  });

  it("shows the callback URL to register on the SCM integrations page", async () => {
    await page.goto(`/runners/${runnerId}/scm-integrations`);
    const callback = await page.getByLabel("Callback URL to register in the OAuth app", { exact: true }).inputValue();
    expect(callback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/oauth2\//);
    await page.getByLabel("OAuth client ID", { exact: true }).fill(oauthApp.clientId);
    await page.getByLabel("OAuth client secret", { exact: true }).fill("wrong-secret-at-first");
    await page.getByRole("button", { name: "Add integration" }).click();
    await page.getByText("github.com").first().waitFor();
    await screenshot(page, "scm-integrations");
  });

  it("edits an integration: a new OAuth client secret replaces the sealed one, and PATs can be turned off and on", async () => {
    const edit = page.getByRole("button", { name: "Edit integration github.com" });
    await edit.click();
    expect(await edit.getAttribute("aria-expanded")).toBe("true");
    // The client id is shown for editing; the secret never is.
    expect(await page.getByLabel("OAuth client ID for github.com").inputValue()).toBe(oauthApp.clientId);
    expect(await page.getByLabel("OAuth client secret for github.com").inputValue()).toBe("");
    await page.getByLabel("Allow personal access tokens for github.com").uncheck();
    await page.getByText("Turning this off deletes the personal access tokens", { exact: false }).waitFor();
    await screenshot(page, "scm-integration-edit");
    await page.getByRole("button", { name: "Save integration" }).click();
    await expect
      .poll(
        async () =>
          (await fx.admin.configuration.listSCMIntegrations({ filter: { runnerIds: [runnerId] } })).integrations[0]
            ?.pat,
      )
      .toBe(false);
    const row = page.getByRole("listitem").filter({ has: page.getByText("github.com", { exact: true }) });
    await expect.poll(() => row.textContent()).not.toContain(", personal access tokens");
    // Back on, and the right secret (the OAuth test below fails with the first one).
    await page.getByRole("button", { name: "Edit integration github.com" }).click();
    await page.getByLabel("OAuth client secret for github.com").fill(oauthApp.clientSecret);
    await page.getByLabel("Allow personal access tokens for github.com").check();
    await page.getByRole("button", { name: "Save integration" }).click();
    await page.getByText(", personal access tokens").waitFor();
    const [integration] = (await fx.admin.configuration.listSCMIntegrations({ filter: { runnerIds: [runnerId] } }))
      .integrations;
    expect(integration).toMatchObject({ pat: true, oauth: { clientId: oauthApp.clientId } });
    // Sealed for the runner: neither the database nor the page has it.
    expectNoPlaintext(await fx.server.sql`select * from scm_integrations`, [oauthApp.clientSecret]);
    expect(await page.content()).not.toContain(oauthApp.clientSecret);
  });
});

describe("your accounts", () => {
  it("enters a personal access token for a host the runner serves, lists it and removes it", async () => {
    await page.goto("/accounts");
    await page.getByLabel("Runner").selectOption({ label: "Build box" });
    const pat = page.getByLabel("Personal access token for github.com", { exact: true });
    await pat.waitFor({ timeout: 30_000 });
    await pat.fill("ghp_console_test_token");
    await page.getByRole("button", { name: "Save token" }).click();
    await page.getByRole("button", { name: "Remove token for github.com" }).waitFor();
    await page.getByText(/^Connected/).waitFor({ timeout: 30_000 });
    await screenshot(page, "accounts");
    // Stored sealed, never shown back: the page has no trace of the value.
    expect(await page.content()).not.toContain("ghp_console_test_token");
    await page.getByRole("button", { name: "Remove token for github.com" }).click();
    await page.getByText("You have no tokens on this runner.").waitFor();
  });
});

describe("trying a context URL", () => {
  it("parses a public repository's URL and shows what the runner found", async () => {
    await page.goto("/context-url");
    await page.getByLabel("Runner").selectOption({ label: "Build box" });
    await page.getByLabel("Context URL").fill("https://github.com/acme/app");
    await page.getByRole("button", { name: "Parse" }).click();
    const found = page.getByRole("region", { name: "What the runner found" });
    await found.waitFor({ timeout: 30_000 });
    const text = (await found.textContent()) ?? "";
    expect(text).toContain("acme/app");
    expect(text).toContain("main");
    await screenshot(page, "context-url");
  });

  it("for a private repository without a token, shows the server's message and the link to authenticate", async () => {
    await page.getByLabel("Context URL").fill("https://github.com/acme/secret");
    await page.getByRole("button", { name: "Parse" }).click();
    const link = page.getByRole("link", { name: "Authenticate with the SCM" });
    await link.waitFor({ timeout: 30_000 });
    const href = new URL((await link.getAttribute("href")) ?? "");
    expect(`${href.origin}${href.pathname}`).toBe(`${fx.server.baseUrl}/auth/oauth2/start`);
    expect(href.searchParams.get("attempt")).toMatch(/^[0-9a-f-]{36}$/);
    // The way back: this page with the runner and URL filled in.
    expect(href.searchParams.get("return_to")).toMatch(/^\/context-url\?runner=/);
    expect(await page.getByRole("region", { name: "What the runner found" }).count()).toBe(0);
    await screenshot(page, "context-url-needs-auth");
  });
});

describe("connecting an account through OAuth", () => {
  it("follows the link through the SCM's Authorize and back; the account then shows as connected", async () => {
    await page.goto("/accounts");
    await page.getByLabel("Runner").selectOption({ label: "Build box" });
    const connect = page.getByRole("link", { name: "Connect github.com with OAuth" });
    await connect.waitFor({ timeout: 30_000 });
    await connect.click();
    // The fake provider's authorize page, reached through /auth/oauth2/start.
    await page.getByRole("heading", { name: "Authorize runnerplane" }).waitFor();
    expect(new URL(page.url()).origin).toBe(provider.url);
    await page.getByRole("button", { name: "Authorize" }).click();
    // Back on the console's page it started from, with the same runner chosen.
    await page.getByRole("heading", { name: "Your accounts" }).waitFor();
    expect(new URL(page.url()).origin).toBe(fx.server.baseUrl);
    await page.getByText(/^Connected/).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Remove token for github.com" }).waitFor();
    expect(await page.getByText("Not connected.").count()).toBe(0);
    expect(await page.getByRole("link", { name: "Connect github.com with OAuth" }).count()).toBe(0);
    expect(await page.locator("ul.rows").textContent()).toMatch(/github\.com.*OAuth/i);
    const { tokens } = await fx.admin.configuration.listHostAuthenticationTokens({
      filter: { runnerId, subjectId: fx.org.admin.member.id },
    });
    expect(tokens.map((t) => [t.host, t.source])).toEqual([["github.com", HostAuthenticationTokenSource.OAUTH]]);
    await screenshot(page, "accounts-connected");
  });

  it("then the private repository's URL parses", async () => {
    await page.goto(`/context-url?${new URLSearchParams({ runner: runnerId, url: "https://github.com/acme/secret" })}`);
    expect(await page.getByLabel("Context URL").inputValue()).toBe("https://github.com/acme/secret");
    await page.getByRole("button", { name: "Parse" }).click();
    const found = page.getByRole("region", { name: "What the runner found" });
    await found.waitFor({ timeout: 30_000 });
    expect(await found.textContent()).toContain("trunk");
  });
});

describe("people", () => {
  it("lists members with their roles", async () => {
    await page.goto("/members");
    await page.getByRole("cell", { name: "Console Co member", exact: true }).waitFor();
    expect(await page.getByLabel(/Role of Console Co admin/).inputValue()).toBe("1");
    await screenshot(page, "members");
  });

  it("creates a group and adds a member to it", async () => {
    await page.goto("/groups");
    await page.getByText("No groups yet.", { exact: false }).waitFor();
    await page.getByLabel("Group name").fill("Platform team");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("link", { name: "Platform team" }).click();
    await page.getByText("Nobody is in this group yet.").waitFor();
    await page.getByLabel("Add to the group").selectOption({ label: "Console Co member" });
    await page.getByRole("button", { name: "Add member" }).click();
    await page.getByRole("button", { name: "Remove Console Co member from the group" }).waitFor();
    await screenshot(page, "group");
  });

  it("gives the group a role on the runner, which the runner's policies then show", async () => {
    // Groups get roles on organization runners (a personal runner shows why it has none).
    await page.goto(`/runners/${runnerId}`);
    await page.getByText("A personal runner belongs to the person who created it", { exact: false }).waitFor();
    const { runner } = await fx.admin.runners.createRunner({ name: "Team cloud", provider: RunnerProvider.GCP });
    const orgRunnerId = runner?.runnerId ?? "";
    await page.goto(`/runners/${orgRunnerId}`);
    await page.getByText("No group has a role on this runner.", { exact: false }).waitFor();
    await page.getByLabel("Group", { exact: true }).selectOption({ label: "Platform team" });
    await page.getByLabel("Role", { exact: true }).selectOption({ label: "Runner admin" });
    await page.getByRole("button", { name: "Give role" }).click();
    await page.getByRole("button", { name: "Remove Runner admin from Platform team" }).waitFor();
    const { policies } = await fx.admin.runners.listRunnerPolicies({ runnerId: orgRunnerId });
    expect(policies.map((p) => p.role)).toEqual([RunnerRole.ADMIN]);
  });

  it("creates a personal access token, shows it once and lists it", async () => {
    await page.goto("/tokens");
    await page.getByLabel("Token description").fill("ci script");
    await page.getByRole("button", { name: "Create token" }).click();
    const value = await page.getByLabel("New token (shown once)", { exact: true }).inputValue();
    expect(value).toMatch(/^rp_/);
    await page.getByText("ci script").waitFor();
    await screenshot(page, "tokens");
  });

  it("creates a service account and issues a token that is shown once and works", async () => {
    await page.goto("/service-accounts");
    await page.getByRole("heading", { name: "New service account" }).waitFor();
    await page.getByLabel("Service account name").fill("Deploy bot");
    await page.getByLabel("Service account description").fill("ships releases");
    await page.getByRole("button", { name: "Create service account" }).click();
    await page.getByRole("button", { name: "Issue a token for Deploy bot" }).click();
    const token = await page.getByLabel("New service account token (shown once)", { exact: true }).inputValue();
    expect(token).not.toBe("");
    await screenshot(page, "service-accounts");
    const bot = createRunnerplaneClient({ baseUrl: fx.server.baseUrl, token });
    const identity = await bot.identity.getAuthenticatedIdentity({});
    expect(identity.subject?.principal).toBe(Principal.SERVICE_ACCOUNT);
    // Shown once: after a reload the page no longer has it.
    await page.reload();
    await page.getByRole("button", { name: "Issue a token for Deploy bot" }).waitFor();
    expect(await page.content()).not.toContain(token);
  });

  it("shows the audit log newest first, with the change just made through the API", async () => {
    const { runner } = await fx.admin.runners.createRunner({
      name: "Audited runner",
      provider: RunnerProvider.AWS_EC2,
    });
    await page.goto("/audit-log");
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    const first = page.getByRole("row").nth(1);
    await first.getByText("gitpod.v1.RunnerService/CreateRunner", { exact: true }).waitFor();
    expect(await first.textContent()).toContain(runner?.runnerId ?? "missing");
    await screenshot(page, "audit-log");
  });

  it("filters the audit log by subject, as ListAuditLogs does", async () => {
    const { runner } = await fx.admin.runners.createRunner({ name: "Filtered runner", provider: RunnerProvider.GCP });
    await fx.admin.runners.updateRunner({ runnerId: runner?.runnerId ?? "", name: "Filtered runner 2" });
    await page.goto("/audit-log");
    await page.getByLabel("Subject ID").fill(runner?.runnerId ?? "");
    await page.getByLabel("Subject type").selectOption({ label: "Runner" });
    await page.getByLabel("Subject ID").press("Enter");
    // Exactly this runner's two entries, newest first.
    await expect.poll(() => page.getByRole("row").count()).toBe(3);
    expect(await page.getByRole("row").nth(1).textContent()).toContain("gitpod.v1.RunnerService/UpdateRunner");
    expect(await page.getByRole("row").nth(2).textContent()).toContain("gitpod.v1.RunnerService/CreateRunner");
    await page.getByLabel("Subject type").selectOption({ label: "Group" });
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("No entry matches these filters.").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(() => page.getByRole("row").count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByLabel("Subject ID").inputValue()).toBe("");
    await screenshot(page, "audit-log-filtered");
  });
});

describe("a member who is not an admin", () => {
  it("gets a not-allowed notice on the audit log, with the server's code", async () => {
    const member = await fx.newPage();
    await signInWithToken(member.page, fx.org.member.token);
    await member.page.goto("/audit-log");
    await member.page.getByRole("alert").waitFor();
    expect(await member.page.getByRole("alert").textContent()).toMatch(/Not allowed|permission_denied/);
  });

  it("sees an organization runner but gets a not-allowed notice when deleting it", async () => {
    const { runner } = await fx.admin.runners.createRunner({ name: "Shared cloud", provider: RunnerProvider.AWS_EC2 });
    const member = await fx.newPage();
    await signInWithToken(member.page, fx.org.member.token);
    await member.page.goto(`/runners/${runner?.runnerId}`);
    await member.page.getByRole("heading", { name: "Shared cloud" }).waitFor();
    await member.page.getByRole("button", { name: "Delete runner" }).click();
    await member.page.getByRole("button", { name: "Yes, delete Shared cloud" }).click();
    await member.page.getByText("Not allowed.").waitFor();
    expect((await fx.admin.runners.getRunner({ runnerId: runner?.runnerId ?? "" })).runner?.name).toBe("Shared cloud");
    await screenshot(member.page, "not-allowed");
  });
});

describe("layout", () => {
  const pages = [
    "/runners",
    "/runners/new",
    "/members",
    "/groups",
    "/tokens",
    "/accounts",
    "/context-url",
    "/sso",
    "/service-accounts",
    "/audit-log",
  ];

  it("holds at 390 px wide without sideways scrolling, and at 1280 px", async () => {
    const narrow = await fx.newPage(390);
    await signInWithToken(narrow.page, fx.org.admin.token);
    for (const path of pages) {
      await narrow.page.goto(path);
      await narrow.page.locator("main h1").first().waitFor();
      await narrow.page.waitForLoadState("networkidle");
      expect(await horizontalOverflow(narrow.page), path).toBeLessThanOrEqual(0);
      await screenshot(narrow.page, path.slice(1).replaceAll("/", "-"));
      await page.goto(path);
      await page.locator("main h1").first().waitFor();
      await page.waitForLoadState("networkidle");
      expect(await horizontalOverflow(page), path).toBeLessThanOrEqual(0);
      await screenshot(page, path.slice(1).replaceAll("/", "-"));
    }
  });

  it("at 390 px the runner's pages, the integration editor and the context-URL result fit, and work by keyboard", async () => {
    const narrow = await fx.newPage(390);
    await signInWithToken(narrow.page, fx.org.admin.token);
    const p = narrow.page;
    const focused = () =>
      p.evaluate(() => {
        const el = document.activeElement;
        return el?.id
          ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? el.id)
          : (el?.textContent ?? "");
      });
    for (const path of [`/runners/${runnerId}`, `/runners/${runnerId}/environment-classes`]) {
      await p.goto(path);
      await p.locator("main h1").first().waitFor();
      await p.waitForLoadState("networkidle");
      expect(await horizontalOverflow(p), path).toBeLessThanOrEqual(0);
      await screenshot(p, path.slice(1).replaceAll("/", "-").replace(runnerId, "runner"));
    }
    // The integration editor: opened with Enter, its fields next in the tab order.
    await p.goto(`/runners/${runnerId}/scm-integrations`);
    await p.getByRole("button", { name: "Edit integration github.com" }).focus();
    await p.keyboard.press("Enter");
    const reached: string[] = [];
    for (let i = 0; i < 4; i++) {
      await p.keyboard.press("Tab");
      reached.push(await focused());
    }
    expect(reached).toContain("OAuth client ID for github.com");
    expect(reached).toContain("OAuth client secret for github.com");
    expect(await horizontalOverflow(p)).toBeLessThanOrEqual(0);
    await screenshot(p, "scm-integrations-edit-narrow");
    // The context-URL tester: Enter in the field submits; the result fits.
    await p.goto(`/context-url?${new URLSearchParams({ runner: runnerId, url: "https://github.com/acme/app" })}`);
    await p.getByLabel("Context URL").focus();
    await p.keyboard.press("Enter");
    await p.getByRole("region", { name: "What the runner found" }).waitFor({ timeout: 30_000 });
    expect(await horizontalOverflow(p)).toBeLessThanOrEqual(0);
    await screenshot(p, "context-url-result");
    // Your accounts, connected, at the narrow width.
    await p.goto(`/accounts?runner=${runnerId}`);
    await p.getByText(/^Connected/).waitFor({ timeout: 30_000 });
    expect(await horizontalOverflow(p)).toBeLessThanOrEqual(0);
    await screenshot(p, "accounts-connected");
  });

  it("loads every page under the server's Content-Security-Policy without a violation", () => {
    expect(fx.cspViolations).toEqual([]);
  });
});

describe("deleting the runner", () => {
  it("asks for confirmation, then the reference runner acknowledges and the runner leaves the list", async () => {
    await page.goto(`/runners/${runnerId}`);
    await page.getByRole("button", { name: "Delete runner" }).click();
    // Asked first: Cancel leaves it alone.
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Delete runner" }).click();
    await screenshot(page, "runner-delete-confirm");
    await page.getByRole("button", { name: "Yes, delete Build box" }).click();
    await page.getByRole("heading", { name: "Runners", level: 1 }).waitFor();
    const gone = () =>
      fx.admin.runners.getRunner({ runnerId }).then(
        () => false,
        () => true,
      );
    await expect.poll(gone, { timeout: 60_000, interval: 500 }).toBe(true);
    await page.reload();
    await page.locator("tbody tr").first().waitFor();
    expect(await page.getByRole("link", { name: "Build box" }).count()).toBe(0);
  });
});

describe("signing out", () => {
  it("ends the session: sign-in shows again, also after a reload", async () => {
    await page.goto("/runners");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to runnerplane" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in to runnerplane" }).waitFor();
  });
});
