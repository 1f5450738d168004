/**
 * End to end: the real server and Postgres, the reference runner as a separate process
 * (dist/main.js), and a fake SCM serving GitHub- and GitLab-shaped APIs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Code,
  createRunnerplaneClient,
  errorCode,
  parseContextPreconditionDetails,
  type RunnerplaneClient,
} from "@runnerplane/client";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { RunnerPhase } from "@runnerplane/client/gitpod/v1/runner_pb";
import { seedMember, seedOrganization, startTestServer, type TestServer } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeScmServer, startFakeScmServer } from "./testing/fake-scm-server.js";

const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const aliceToken = "gh-alice";

let server: TestServer;
let scm: FakeScmServer;
let stateDir: string;
let admin: RunnerplaneClient;
let alice: RunnerplaneClient;
let aliceId: string;
let runnerId: string;
let exchangeToken: string;
let runnerProcess: ChildProcess | undefined;

function startRunnerProcess() {
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
      `github.com=${scm.url}/github`,
      "--scm-api",
      `gitlab.com=${scm.url}/gitlab/api/v4`,
      "--heartbeat-ms",
      "1000",
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH ?? "" } },
  );
  // RUNNER_DEBUG=1 shows the runner's log.
  runnerProcess.stderr?.on("data", (c: Buffer) => process.env.RUNNER_DEBUG && process.stderr.write(c));
}

/** Until the runner answers calls (its stream is registered), or 20 s. */
async function untilConnected() {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const outcome = await alice.runners.checkAuthenticationForHost({ runnerId, host: "github.com" }).catch((e) => e);
    if (!(outcome instanceof Error) || errorCode(outcome) !== Code.Unavailable) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the runner did not connect within 20 s");
}

beforeAll(async () => {
  server = await startTestServer();
  scm = await startFakeScmServer({
    tokens: [aliceToken, "gh-bob"],
    repos: [
      {
        owner: "acme",
        name: "widgets",
        defaultBranch: "trunk",
        pullRequests: [
          {
            number: 7,
            title: "Faster widgets",
            fromBranch: "speed",
            toBranch: "trunk",
            author: "alice",
            state: "open",
            headSha: "a".repeat(40),
          },
        ],
        issues: [{ number: 3, title: "Widgets are slow" }],
      },
      { owner: "acme", name: "secret", private: true, tokens: [aliceToken] },
      {
        owner: "group/sub",
        name: "tool",
        defaultBranch: "main",
        pullRequests: [
          {
            number: 2,
            title: "MR two",
            fromBranch: "feat",
            toBranch: "main",
            author: "bob",
            state: "merged",
            headSha: "b".repeat(40),
          },
        ],
      },
      { owner: "group", name: "locked", private: true, tokens: ["gh-bob"] },
      ...Array.from({ length: 5 }, (_, i) => ({ owner: "acme", name: `search-${i}` })),
    ],
    orgs: [
      { name: "acme", members: [aliceToken] },
      { name: "umbrella", members: [aliceToken], admins: [aliceToken] },
    ],
  });
  stateDir = await mkdtemp(path.join(tmpdir(), "runnerplane-runner-state-"));
  const org = await seedOrganization(server.sql, "Runner E2E");
  admin = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
  const a = await seedMember(server.sql, org.organization.id, { name: "Alice" });
  alice = createRunnerplaneClient({ baseUrl: server.baseUrl, token: a.token });
  aliceId = a.member.id;
  const created = await admin.runners.createRunner({ name: "e2e runner", provider: RunnerProvider.AWS_EC2 });
  runnerId = created.runner?.runnerId ?? "";
  exchangeToken = created.exchangeToken;
  startRunnerProcess();
  await untilConnected();
}, 120_000);

afterAll(async () => {
  runnerProcess?.kill("SIGKILL");
  await scm?.close();
  await server?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("ParseContextURL through the reference runner", () => {
  it.each([
    [
      "a GitHub repository (default branch from the API)",
      "https://github.com/acme/widgets",
      { branch: "trunk", owner: "acme", repo: "widgets" },
    ],
    ["a GitHub branch", "https://github.com/acme/widgets/tree/feature", { branch: "feature" }],
    ["a GitHub commit", `https://github.com/acme/widgets/commit/${"c".repeat(40)}`, { commit: "c".repeat(40) }],
    ["a GitHub tag", "https://github.com/acme/widgets/releases/tag/v1.0.0", { tag: "v1.0.0" }],
    ["a GitHub pull request", "https://github.com/acme/widgets/pull/7", { branch: "speed" }],
    ["a GitHub issue", "https://github.com/acme/widgets/issues/3", { branch: "trunk" }],
    [
      "a GitLab project in a subgroup",
      "https://gitlab.com/group/sub/tool",
      { branch: "main", owner: "group/sub", repo: "tool" },
    ],
    ["a GitLab merge request", "https://gitlab.com/group/sub/tool/-/merge_requests/2", { branch: "feat" }],
    ["a Bitbucket branch (offline)", "https://bitbucket.org/ws/repo/branch/dev", { branch: "dev", owner: "ws" }],
    [
      "an Azure DevOps branch (offline)",
      "https://dev.azure.com/org/proj/_git/repo?version=GBmain",
      { branch: "main", repo: "repo" },
    ],
  ] as const)("%s", async (_name, url, git) => {
    const res = await alice.runners.parseContextURL({ runnerId, contextUrl: url });
    expect(res.originalContextUrl).toBe(url);
    expect(res.git).toMatchObject(git);
  });

  it("fills in pull request and issue titles from the SCM", async () => {
    const pr = await alice.runners.parseContextURL({ runnerId, contextUrl: "https://github.com/acme/widgets/pull/7" });
    expect(pr.pullRequest).toMatchObject({ id: "7", title: "Faster widgets", fromBranch: "speed", toBranch: "trunk" });
    const issue = await alice.runners.parseContextURL({
      runnerId,
      contextUrl: "https://github.com/acme/widgets/issues/3",
    });
    expect(issue.issue).toMatchObject({ id: "3", title: "Widgets are slow" });
  });

  it("picks the runner itself when no runner_id is given", async () => {
    const res = await alice.runners.parseContextURL({ contextUrl: "https://github.com/acme/widgets" });
    expect(res.git?.branch).toBe("trunk");
  });

  it("asks to authenticate for a private repository, then works once a token exists", async () => {
    const error = await alice.runners
      .parseContextURL({ runnerId, contextUrl: "https://github.com/acme/secret" })
      .catch((e) => e);
    expect(errorCode(error)).toBe(Code.FailedPrecondition);
    const details = parseContextPreconditionDetails(error);
    expect(details?.scmId).toBe("github");
    expect(details?.authenticationRequiredUrl).toMatch(/^https?:\/\//);

    const before = await alice.runners.checkAuthenticationForHost({ runnerId, host: "github.com" });
    expect(before).toMatchObject({ authenticated: false, scmId: "github" });
    expect(before.supportsPat?.createUrl).toMatch(/github/);

    await alice.configuration.createHostAuthenticationToken({
      runnerId,
      host: "github.com",
      token: aliceToken,
      source: HostAuthenticationTokenSource.PAT,
    });
    const after = await alice.runners.checkAuthenticationForHost({ runnerId, host: "github.com" });
    expect(after.authenticated).toBe(true);
    const res = await alice.runners.parseContextURL({ runnerId, contextUrl: "https://github.com/acme/secret" });
    expect(res.git?.repo).toBe("secret");
    // The runner read Alice's token through the server and sent it to the SCM.
    expect(scm.requests.some((r) => r.authorization === `Bearer ${aliceToken}`)).toBe(true);
  });

  it("answers not_found for a missing repository and invalid_argument for what is no repository URL", async () => {
    const missing = await alice.runners
      .parseContextURL({ runnerId, contextUrl: "https://github.com/acme/nope" })
      .catch((e) => e);
    expect(errorCode(missing)).toBe(Code.NotFound);
    const bad = await alice.runners.parseContextURL({ runnerId, contextUrl: "https://github.com/" }).catch((e) => e);
    expect(errorCode(bad)).toBe(Code.InvalidArgument);
  });

  it("answers permission_denied when the SCM refuses the caller's token", async () => {
    await alice.configuration.createHostAuthenticationToken({
      runnerId,
      host: "gitlab.com",
      token: aliceToken,
      source: HostAuthenticationTokenSource.PAT,
    });
    const error = await alice.runners
      .parseContextURL({ runnerId, contextUrl: "https://gitlab.com/group/locked" })
      .catch((e) => e);
    expect(errorCode(error)).toBe(Code.PermissionDenied);
  });
});

describe("repository calls through the reference runner", () => {
  it("checks repository access", async () => {
    const yes = await alice.runners.checkRepositoryAccess({
      runnerId,
      repositoryUrl: "https://github.com/acme/widgets",
    });
    expect(yes.hasAccess).toBe(true);
    const no = await alice.runners.checkRepositoryAccess({ runnerId, repositoryUrl: "https://github.com/acme/nope" });
    expect(no.hasAccess).toBe(false);
  });

  it("searches repositories page by page", async () => {
    const names: string[] = [];
    let token = "";
    do {
      const page = await alice.runners.searchRepositories({
        runnerId,
        scmHost: "github.com",
        searchString: "search-",
        limit: 2, // the contract requires 1–100 on this deprecated field
        pagination: { pageSize: 2, token },
      });
      names.push(...page.repositories.map((r) => r.name));
      token = page.pagination?.nextToken ?? "";
    } while (token);
    expect(names.sort()).toEqual(
      ["search-0", "search-1", "search-2", "search-3", "search-4"].map((n) => expect.stringContaining(n)),
    );
    expect(names).toHaveLength(5);
  });

  it("lists the caller's SCM organizations", async () => {
    const res = await alice.runners.listSCMOrganizations({
      runnerId,
      scmHost: "github.com",
      pagination: { pageSize: 10 },
    });
    expect(res.organizations.map((o) => o.name).sort()).toEqual(["acme", "umbrella"]);
  });
});

describe("the runner process", () => {
  it("reports in: ACTIVE, with its version and schema", async () => {
    const { runner } = await admin.runners.getRunner({ runnerId });
    expect(runner?.status?.phase).toBe(RunnerPhase.ACTIVE);
    expect(runner?.status?.version).toBe("0.1.0");
    expect(runner?.status?.publicKey).toHaveLength(32);
    const { schema } = await admin.configuration.getRunnerConfigurationSchema({ runnerId });
    expect(schema?.version).toBe("reference-runner-1");
  });

  it("when killed, calls are unavailable; restarted with its state, it reconnects and answers again", async () => {
    runnerProcess?.kill("SIGKILL");
    await expect
      .poll(
        async () =>
          errorCode(await alice.runners.checkAuthenticationForHost({ runnerId, host: "github.com" }).catch((e) => e)),
        { timeout: 45_000, interval: 500 },
      )
      .toBe(Code.Unavailable);
    startRunnerProcess(); // same state directory: its stored token and key, no exchange token needed
    await untilConnected();
    const res = await alice.runners.parseContextURL({ runnerId, contextUrl: "https://github.com/acme/widgets" });
    expect(res.git?.branch).toBe("trunk");
    expect(aliceId).toMatch(/^[0-9a-f-]{36}$/);
  }, 90_000);
});
