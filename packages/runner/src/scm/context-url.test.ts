/**
 * The offline context-URL parser (behaviour.md §8, ParseContextURL): URL shapes of the four
 * SCMs and plain clone URLs, self-hosted hosts, the errors the runner answers with
 * `invalid_argument`, and the ParseContextURLResponse built from a parse plus what the SCM's
 * API said.
 */
import { PullRequest_State } from "@runnerplane/client/gitpod/v1/agent_pb";
import { describe, expect, it } from "vitest";
import {
  ContextUrlError,
  type ContextUrlErrorReason,
  type KnownHost,
  type ParsedContext,
  parseContextUrl,
  pullRequestUrl,
  toParseContextUrlResponse,
} from "./context-url.js";

const sha = "0123456789abcdef0123456789abcdef01234567";

const selfHosted: KnownHost[] = [
  { host: "git.example.com", scmId: "gitlab" },
  { host: "GHE.Example.com:8443", scmId: "github" },
  { host: "bitbucket.example.com", scmId: "bitbucket" },
  { host: "https://tfs.example.com/", scmId: "azuredevops" },
];

/** The fields a table row checks: everything but the original URL, web URL and bookkeeping. */
type Expected = Omit<ParsedContext, "originalUrl" | "webUrl" | "missing" | "refCandidates">;

function summary(parsed: ParsedContext): Expected {
  const { originalUrl: _url, webUrl: _web, missing: _missing, refCandidates: _candidates, ...rest } = parsed;
  return rest;
}

const gh = {
  scmId: "github",
  host: "github.com",
  owner: "o",
  repo: "r",
  cloneUrl: "https://github.com/o/r.git",
} as const;
const gl = {
  scmId: "gitlab",
  host: "gitlab.com",
  owner: "g/sub",
  repo: "r",
  cloneUrl: "https://gitlab.com/g/sub/r.git",
} as const;
const bb = {
  scmId: "bitbucket",
  host: "bitbucket.org",
  owner: "w",
  repo: "r",
  cloneUrl: "https://bitbucket.org/w/r.git",
} as const;
const az = {
  scmId: "azuredevops",
  host: "dev.azure.com",
  owner: "org/project",
  repo: "repo",
  cloneUrl: "https://dev.azure.com/org/project/_git/repo",
} as const;

const shapes: [string, Expected][] = [
  // GitHub
  ["https://github.com/o/r", { ...gh, kind: "repository", needsApi: true }],
  ["https://github.com/o/r.git", { ...gh, kind: "repository", needsApi: true }],
  ["https://github.com/o/r/", { ...gh, kind: "repository", needsApi: true }],
  ["https://github.com/o/r/tree/main", { ...gh, kind: "branch", branch: "main", needsApi: false }],
  ["https://github.com/o/r/tree/feature/x", { ...gh, kind: "branch", branch: "feature/x", needsApi: true }],
  ["https://github.com/o/r/tree/feature%2Fx", { ...gh, kind: "branch", branch: "feature/x", needsApi: false }],
  [
    "https://github.com/o/r/tree/main/some/dir",
    { ...gh, kind: "file", branch: "main", path: "some/dir", needsApi: true },
  ],
  [`https://github.com/o/r/tree/${sha}`, { ...gh, kind: "commit", commit: sha, needsApi: false }],
  [
    "https://github.com/o/r/blob/main/file.ts",
    { ...gh, kind: "file", branch: "main", path: "file.ts", needsApi: false },
  ],
  [
    "https://github.com/o/r/blob/main/src/index.ts",
    { ...gh, kind: "file", branch: "main", path: "src/index.ts", needsApi: true },
  ],
  [`https://github.com/o/r/blob/${sha}/a/b.ts`, { ...gh, kind: "file", commit: sha, path: "a/b.ts", needsApi: false }],
  [`https://github.com/o/r/commit/${sha.toUpperCase()}`, { ...gh, kind: "commit", commit: sha, needsApi: false }],
  ["https://github.com/o/r/commit/abc1234", { ...gh, kind: "commit", commit: "abc1234", needsApi: false }],
  ["https://github.com/o/r/releases/tag/v1.2.3", { ...gh, kind: "tag", tag: "v1.2.3", needsApi: false }],
  ["https://github.com/o/r/releases/tag/release/2024", { ...gh, kind: "tag", tag: "release/2024", needsApi: false }],
  ["https://github.com/o/r/pull/42", { ...gh, kind: "pull_request", pullRequestId: "42", needsApi: true }],
  ["https://github.com/o/r/pull/42/files#diff-1", { ...gh, kind: "pull_request", pullRequestId: "42", needsApi: true }],
  ["https://github.com/o/r/issues/7", { ...gh, kind: "issue", issueId: "7", needsApi: true }],
  ["https://github.com/o/r/issues/new", { ...gh, kind: "repository", needsApi: true }],
  ["https://github.com/o/r/actions?query=x", { ...gh, kind: "repository", needsApi: true }],
  // GitLab, with nested groups
  [
    "https://gitlab.com/g/r",
    {
      ...gl,
      owner: "g",
      cloneUrl: "https://gitlab.com/g/r.git",
      kind: "repository",
      needsApi: true,
    },
  ],
  ["https://gitlab.com/g/sub/r", { ...gl, kind: "repository", needsApi: true }],
  ["https://gitlab.com/g/sub/r.git", { ...gl, kind: "repository", needsApi: true }],
  ["https://gitlab.com/g/sub/r/-/tree/main", { ...gl, kind: "branch", branch: "main", needsApi: false }],
  ["https://gitlab.com/g/sub/r/-/tree/feature/x", { ...gl, kind: "branch", branch: "feature/x", needsApi: true }],
  ["https://gitlab.com/g/sub/r/-/tree/v2.0?ref_type=tags", { ...gl, kind: "tag", tag: "v2.0", needsApi: false }],
  [
    "https://gitlab.com/g/sub/r/-/blob/main/README.md",
    { ...gl, kind: "file", branch: "main", path: "README.md", needsApi: false },
  ],
  [`https://gitlab.com/g/sub/r/-/commit/${sha}`, { ...gl, kind: "commit", commit: sha, needsApi: false }],
  ["https://gitlab.com/g/sub/r/-/tags/v1.0", { ...gl, kind: "tag", tag: "v1.0", needsApi: false }],
  [
    "https://gitlab.com/g/sub/r/-/merge_requests/5",
    { ...gl, kind: "pull_request", pullRequestId: "5", needsApi: true },
  ],
  [
    "https://gitlab.com/g/sub/r/-/merge_requests/5/diffs",
    { ...gl, kind: "pull_request", pullRequestId: "5", needsApi: true },
  ],
  ["https://gitlab.com/g/sub/r/-/issues/9", { ...gl, kind: "issue", issueId: "9", needsApi: true }],
  ["https://gitlab.com/g/sub/r/-/wikis/home", { ...gl, kind: "repository", needsApi: true }],
  // Bitbucket
  ["https://bitbucket.org/w/r", { ...bb, kind: "repository", needsApi: true }],
  ["https://bitbucket.org/w/r/src/main/", { ...bb, kind: "branch", branch: "main", needsApi: false }],
  [
    "https://bitbucket.org/w/r/src/main/docs/a.md",
    { ...bb, kind: "file", branch: "main", path: "docs/a.md", needsApi: true },
  ],
  [`https://bitbucket.org/w/r/src/${sha}/a.md`, { ...bb, kind: "file", commit: sha, path: "a.md", needsApi: false }],
  [
    `https://bitbucket.org/w/r/src/${sha}/docs/a.md?at=feature%2Fx`,
    { ...bb, kind: "file", commit: sha, branch: "feature/x", path: "docs/a.md", needsApi: false },
  ],
  [
    "https://bitbucket.org/w/r/src/feature/x/a.md?at=feature/x",
    { ...bb, kind: "file", branch: "feature/x", path: "a.md", needsApi: false },
  ],
  ["https://bitbucket.org/w/r/branch/feature/x", { ...bb, kind: "branch", branch: "feature/x", needsApi: false }],
  [`https://bitbucket.org/w/r/commits/${sha}`, { ...bb, kind: "commit", commit: sha, needsApi: false }],
  ["https://bitbucket.org/w/r/pull-requests/3", { ...bb, kind: "pull_request", pullRequestId: "3", needsApi: true }],
  [
    "https://bitbucket.org/w/r/pull-requests/3/diff",
    { ...bb, kind: "pull_request", pullRequestId: "3", needsApi: true },
  ],
  ["https://bitbucket.org/w/r/issues/11/some-title", { ...bb, kind: "issue", issueId: "11", needsApi: true }],
  // Azure DevOps
  ["https://dev.azure.com/org/project/_git/repo", { ...az, kind: "repository", needsApi: true }],
  [
    "https://dev.azure.com/org/project/_git/repo?version=GBmain",
    { ...az, kind: "branch", branch: "main", needsApi: false },
  ],
  [
    "https://dev.azure.com/org/project/_git/repo?version=GBfeature%2Fx",
    { ...az, kind: "branch", branch: "feature/x", needsApi: false },
  ],
  [
    `https://dev.azure.com/org/project/_git/repo?version=GC${sha}`,
    { ...az, kind: "commit", commit: sha, needsApi: false },
  ],
  ["https://dev.azure.com/org/project/_git/repo?version=GTv1.0", { ...az, kind: "tag", tag: "v1.0", needsApi: false }],
  [
    "https://dev.azure.com/org/project/_git/repo?path=/src/a.ts&version=GBmain",
    { ...az, kind: "file", branch: "main", path: "src/a.ts", needsApi: false },
  ],
  [
    "https://dev.azure.com/org/project/_git/repo/pullrequest/42",
    { ...az, kind: "pull_request", pullRequestId: "42", needsApi: true },
  ],
  [
    `https://dev.azure.com/org/project/_git/repo/commit/${sha}`,
    { ...az, kind: "commit", commit: sha, needsApi: false },
  ],
  ["https://org@dev.azure.com/org/project/_git/repo", { ...az, kind: "repository", needsApi: true }],
  ["https://org.visualstudio.com/project/_git/repo", { ...az, kind: "repository", needsApi: true }],
  [
    "https://org.visualstudio.com/DefaultCollection/project/_git/repo?version=GBmain",
    { ...az, kind: "branch", branch: "main", needsApi: false },
  ],
  [
    "https://dev.azure.com/org/_git/repo",
    {
      ...az,
      owner: "org/repo",
      cloneUrl: "https://dev.azure.com/org/repo/_git/repo",
      kind: "repository",
      needsApi: true,
    },
  ],
  [
    "https://dev.azure.com/org/My%20Project/_git/repo",
    {
      ...az,
      owner: "org/My Project",
      cloneUrl: "https://dev.azure.com/org/My%20Project/_git/repo",
      kind: "repository",
      needsApi: true,
    },
  ],
  ["git@ssh.dev.azure.com:v3/org/project/repo", { ...az, kind: "repository", needsApi: true }],
  // Plain clone URLs
  ["git@github.com:o/r.git", { ...gh, kind: "repository", needsApi: true }],
  ["ssh://git@github.com/o/r.git", { ...gh, kind: "repository", needsApi: true }],
  ["git@gitlab.com:g/sub/r.git", { ...gl, kind: "repository", needsApi: true }],
  ["git@bitbucket.org:w/r.git", { ...bb, kind: "repository", needsApi: true }],
  [
    "https://example.org/o/r.git",
    {
      scmId: "",
      host: "example.org",
      owner: "o",
      repo: "r",
      cloneUrl: "https://example.org/o/r.git",
      kind: "repository",
      needsApi: false,
    },
  ],
  [
    "ssh://git@host.example.org:2222/o/r.git",
    {
      scmId: "",
      host: "host.example.org",
      owner: "o",
      repo: "r",
      cloneUrl: "ssh://git@host.example.org:2222/o/r.git",
      kind: "repository",
      needsApi: false,
    },
  ],
  [
    "git@host.example.org:team/sub/r.git",
    {
      scmId: "",
      host: "host.example.org",
      owner: "team/sub",
      repo: "r",
      cloneUrl: "git@host.example.org:team/sub/r.git",
      kind: "repository",
      needsApi: false,
    },
  ],
  [
    "https://user:secret@example.org:8443/r.git?x=1#y",
    {
      scmId: "",
      host: "example.org:8443",
      owner: "",
      repo: "r",
      cloneUrl: "https://example.org:8443/r.git",
      kind: "repository",
      needsApi: false,
    },
  ],
  [
    "git://example.org/o/r.git",
    {
      scmId: "",
      host: "example.org",
      owner: "o",
      repo: "r",
      cloneUrl: "git://example.org/o/r.git",
      kind: "repository",
      needsApi: false,
    },
  ],
];

describe("parseContextUrl", () => {
  it("covers at least 35 URL shapes", () => {
    expect(shapes.length).toBeGreaterThanOrEqual(35);
  });

  it.each(shapes)("reads %s", (url, expected) => {
    expect(summary(parseContextUrl(url))).toEqual(expected);
  });

  it("keeps the URL as given (trimmed) and the repository's web URL", () => {
    const parsed = parseContextUrl("  https://gitlab.com/g/sub/r/-/issues/9  ");
    expect(parsed.originalUrl).toBe("https://gitlab.com/g/sub/r/-/issues/9");
    expect(parsed.webUrl).toBe("https://gitlab.com/g/sub/r");
  });

  describe("what is missing", () => {
    it.each<[string, ParsedContext["missing"]]>([
      ["https://github.com/o/r", ["default_branch"]],
      ["https://github.com/o/r/issues/7", ["default_branch", "issue"]],
      ["https://github.com/o/r/pull/42", ["pull_request"]],
      ["https://github.com/o/r/tree/feature/x", ["ref_split"]],
      ["https://github.com/o/r/tree/main", []],
      [`https://github.com/o/r/commit/${sha}`, []],
      ["https://github.com/o/r/releases/tag/v1", []],
    ])("%s lacks %j", (url, missing) => {
      expect(parseContextUrl(url).missing).toEqual(missing);
    });

    it("reports a missing default branch of an unknown host without asking for an API", () => {
      const parsed = parseContextUrl("https://example.org/o/r.git");
      expect(parsed.missing).toEqual(["default_branch"]);
      expect(parsed.needsApi).toBe(false);
    });
  });

  describe("branch names with slashes", () => {
    it("lists every ref/path split of a tree URL, shortest ref first", () => {
      expect(parseContextUrl("https://github.com/o/r/tree/feature/x/docs").refCandidates).toEqual([
        { ref: "feature", path: "x/docs" },
        { ref: "feature/x", path: "docs" },
        { ref: "feature/x/docs", path: "" },
      ]);
    });

    it("keeps at least the file name as path in the splits of a blob URL", () => {
      expect(parseContextUrl("https://gitlab.com/g/r/-/blob/feature/x/a.ts").refCandidates).toEqual([
        { ref: "feature", path: "x/a.ts" },
        { ref: "feature/x", path: "a.ts" },
      ]);
    });

    it("lists no splits when the URL settles the ref", () => {
      for (const url of [
        "https://github.com/o/r/tree/feature%2Fx",
        "https://github.com/o/r/blob/main/file.ts",
        `https://github.com/o/r/tree/${sha}/src`,
        "https://bitbucket.org/w/r/src/feature/x/a.md?at=feature/x",
      ]) {
        expect(parseContextUrl(url).refCandidates, url).toBeUndefined();
      }
    });

    it("decodes percent-encoded branch names, including non-ASCII ones", () => {
      expect(parseContextUrl("https://github.com/o/r/tree/f%C3%A9ature%2F%23x").branch).toBe("féature/#x");
      expect(parseContextUrl("https://gitlab.com/g/r/-/tree/fix%2Fa%20b").branch).toBe("fix/a b");
    });
  });

  describe("hosts", () => {
    it("matches hosts case-insensitively, in URLs and in the known-host list", () => {
      expect(summary(parseContextUrl("https://GitHub.COM/o/r"))).toEqual({ ...gh, kind: "repository", needsApi: true });
      expect(parseContextUrl("git@GITLAB.com:g/sub/r.git").host).toBe("gitlab.com");
      expect(parseContextUrl("https://ghe.example.com:8443/o/r", selfHosted).scmId).toBe("github");
    });

    it("recognises self-hosted GitLab by its host, nested groups included", () => {
      expect(summary(parseContextUrl("https://git.example.com/g/sub/r/-/merge_requests/3", selfHosted))).toEqual({
        scmId: "gitlab",
        host: "git.example.com",
        owner: "g/sub",
        repo: "r",
        cloneUrl: "https://git.example.com/g/sub/r.git",
        kind: "pull_request",
        pullRequestId: "3",
        needsApi: true,
      });
    });

    it("matches a host with a port only on that port", () => {
      const parsed = parseContextUrl("https://ghe.example.com:8443/o/r/tree/dev", selfHosted);
      expect(summary(parsed)).toEqual({
        scmId: "github",
        host: "ghe.example.com:8443",
        owner: "o",
        repo: "r",
        cloneUrl: "https://ghe.example.com:8443/o/r.git",
        kind: "branch",
        branch: "dev",
        needsApi: false,
      });
      expect(parseContextUrl("https://ghe.example.com/o/r", selfHosted).scmId).toBe("");
      expect(parseContextUrl("https://git.example.com:9000/g/r", selfHosted).scmId).toBe("");
    });

    it("treats port 443 of an https URL as no port", () => {
      expect(parseContextUrl("https://git.example.com:443/g/r", selfHosted).host).toBe("git.example.com");
    });

    it("keeps the scheme of a self-hosted http URL in the clone URL", () => {
      expect(parseContextUrl("http://git.example.com/g/r", selfHosted).cloneUrl).toBe("http://git.example.com/g/r.git");
    });

    it("matches SSH URLs by host name alone and clones over HTTPS from the configured web host", () => {
      expect(summary(parseContextUrl("ssh://git@git.example.com:2222/g/sub/r.git", selfHosted))).toEqual({
        scmId: "gitlab",
        host: "git.example.com",
        owner: "g/sub",
        repo: "r",
        cloneUrl: "https://git.example.com/g/sub/r.git",
        kind: "repository",
        needsApi: true,
      });
      expect(parseContextUrl("git@ghe.example.com:o/r.git", selfHosted).cloneUrl).toBe(
        "https://ghe.example.com:8443/o/r.git",
      );
    });

    it("recognises self-hosted Bitbucket and Azure DevOps Server (collection in the owner)", () => {
      expect(parseContextUrl("https://bitbucket.example.com/w/r/pull-requests/2", selfHosted)).toMatchObject({
        scmId: "bitbucket",
        cloneUrl: "https://bitbucket.example.com/w/r.git",
        pullRequestId: "2",
      });
      expect(
        summary(parseContextUrl("https://tfs.example.com/tfs/Coll/Proj/_git/Repo?version=GBdev", selfHosted)),
      ).toEqual({
        scmId: "azuredevops",
        host: "tfs.example.com",
        owner: "tfs/Coll/Proj",
        repo: "Repo",
        cloneUrl: "https://tfs.example.com/tfs/Coll/Proj/_git/Repo",
        kind: "branch",
        branch: "dev",
        needsApi: false,
      });
    });

    it("lets the known-host list override a default host", () => {
      expect(parseContextUrl("https://gitlab.com/g/r", [{ host: "gitlab.com", scmId: "github" }]).scmId).toBe("github");
    });

    it("drops credentials from the clone URL of an unknown host but keeps an SSH user name", () => {
      expect(parseContextUrl("https://oauth2:tok@example.org/o/r.git").cloneUrl).toBe("https://example.org/o/r.git");
      expect(parseContextUrl("ssh://git:pw@example.org/o/r.git").cloneUrl).toBe("ssh://git@example.org/o/r.git");
    });
  });

  describe("errors", () => {
    it.each<[string, ContextUrlErrorReason]>([
      ["", "not_a_url"],
      ["   ", "not_a_url"],
      ["not a url", "not_a_url"],
      ["github.com/o/r", "not_a_url"],
      ["https://", "not_a_url"],
      ["ftp://example.org/o/r.git", "unsupported_scheme"],
      ["file:///srv/git/r.git", "unsupported_scheme"],
      ["mailto:someone@example.org", "unsupported_scheme"],
      ["javascript:alert(1)", "unsupported_scheme"],
      ["https://github.com", "no_repository"],
      ["https://github.com/", "no_repository"],
      ["https://github.com/octocat", "no_repository"],
      ["https://github.com/o/.git", "no_repository"],
      ["https://gitlab.com/g", "no_repository"],
      ["https://gitlab.com/g/-/issues/1", "no_repository"],
      ["https://bitbucket.org/w", "no_repository"],
      ["https://dev.azure.com/org/project", "no_repository"],
      ["https://dev.azure.com/org/project/_git/", "no_repository"],
      ["https://org.visualstudio.com/", "no_repository"],
      ["git@ssh.dev.azure.com:v3/org", "no_repository"],
      ["https://example.org/", "no_repository"],
      ["git@github.com:", "no_repository"],
      ["https://github.com/o/r/tree/%E0%A4%A", "malformed_path"],
      ["https://github.com/o/r/commit/not-a-sha", "malformed_path"],
      ["https://gitlab.com/g/r/-/commit/", "malformed_path"],
      ["https://dev.azure.com/org/project/_git/repo?version=GCxyz", "malformed_path"],
    ])("rejects %j as %s", (url, reason) => {
      let caught: unknown;
      try {
        parseContextUrl(url);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ContextUrlError);
      expect(caught).toMatchObject({ name: "ContextUrlError", reason });
      expect((caught as Error).message).not.toBe("");
    });

    it("says what a repository URL looks like", () => {
      expect(() => parseContextUrl("https://dev.azure.com/org/project")).toThrow(
        "expected https://dev.azure.com/<organization>/<project>/_git/<repository>",
      );
      expect(() => parseContextUrl("https://gitlab.com/g")).toThrow("expected https://gitlab.com/<group>/<project>");
    });
  });
});

describe("pullRequestUrl", () => {
  it.each([
    ["https://github.com/o/r/pull/42/files", "https://github.com/o/r/pull/42"],
    ["https://gitlab.com/g/sub/r/-/merge_requests/5/diffs", "https://gitlab.com/g/sub/r/-/merge_requests/5"],
    ["https://bitbucket.org/w/r/pull-requests/3/diff", "https://bitbucket.org/w/r/pull-requests/3"],
    [
      "https://org.visualstudio.com/project/_git/repo/pullrequest/42",
      "https://dev.azure.com/org/project/_git/repo/pullrequest/42",
    ],
    ["https://github.com/o/r", ""],
  ])("of %s is %s", (url, expected) => {
    expect(pullRequestUrl(parseContextUrl(url))).toBe(expected);
  });
});

describe("toParseContextUrlResponse", () => {
  const git = (fields: Partial<Record<string, string>>) => ({
    $typeName: "gitpod.v1.ParseContextURLResponse.GitContext",
    cloneUrl: "",
    branch: "",
    commit: "",
    host: "",
    owner: "",
    repo: "",
    upstreamRemoteUrl: "",
    tag: "",
    ...fields,
  });

  it("answers a repository URL with its clone URL, and the default branch once the API told it", () => {
    const parsed = parseContextUrl("https://github.com/o/r");
    expect(toParseContextUrlResponse(parsed)).toEqual({
      $typeName: "gitpod.v1.ParseContextURLResponse",
      originalContextUrl: "https://github.com/o/r",
      git: git({ cloneUrl: "https://github.com/o/r.git", host: "github.com", owner: "o", repo: "r" }),
      projectIds: [],
      scmId: "github",
      recommendedEnvironmentClasses: [],
    });
    expect(toParseContextUrlResponse(parsed, { defaultBranch: "main" }).git?.branch).toBe("main");
  });

  it.each([
    ["https://github.com/o/r/tree/main", "https://github.com/o/r.git"],
    ["https://bitbucket.org/w/r/src/main/", "https://bitbucket.org/w/r.git"],
    ["https://gitlab.com/g/sub/r/-/tree/main", "https://gitlab.com/g/sub/r.git"],
    ["https://dev.azure.com/org/project/_git/repo?version=GBmain", "https://dev.azure.com/org/project/_git/repo"],
    ["git@github.com:o/r.git", "https://github.com/o/r.git"],
  ])("clones %s from %s", (url, cloneUrl) => {
    expect(toParseContextUrlResponse(parseContextUrl(url)).git?.cloneUrl).toBe(cloneUrl);
  });

  it("fills in the named branch, commit or tag, never the default branch over them", () => {
    const enrichment = { defaultBranch: "main" };
    expect(toParseContextUrlResponse(parseContextUrl("https://github.com/o/r/tree/dev"), enrichment).git).toMatchObject(
      { branch: "dev", commit: "", tag: "" },
    );
    expect(
      toParseContextUrlResponse(parseContextUrl(`https://gitlab.com/g/sub/r/-/commit/${sha}`), enrichment).git,
    ).toMatchObject({ branch: "", commit: sha, tag: "" });
    expect(
      toParseContextUrlResponse(parseContextUrl("https://github.com/o/r/releases/tag/v1"), enrichment).git,
    ).toMatchObject({ branch: "", commit: "", tag: "v1" });
  });

  it("replaces the offline ref choice with the ref the API resolved", () => {
    const parsed = parseContextUrl("https://github.com/o/r/tree/v1.0/docs");
    expect(parsed.branch).toBe("v1.0/docs");
    const response = toParseContextUrlResponse(parsed, { ref: { tag: "v1.0" }, defaultBranch: "main" });
    expect(response.git).toMatchObject({ branch: "", tag: "v1.0", commit: "" });
  });

  it("answers a pull request without enrichment with its id, web URL and repository", () => {
    const parsed = parseContextUrl("https://gitlab.com/g/sub/r/-/merge_requests/5");
    const response = toParseContextUrlResponse(parsed);
    expect(response.pullRequest).toEqual({
      $typeName: "gitpod.v1.PullRequest",
      id: "5",
      title: "",
      fromBranch: "",
      toBranch: "",
      url: "https://gitlab.com/g/sub/r/-/merge_requests/5",
      author: "",
      repository: {
        $typeName: "gitpod.v1.PullRequest.Repository",
        cloneUrl: "https://gitlab.com/g/sub/r.git",
        host: "gitlab.com",
        owner: "g/sub",
        name: "r",
      },
      draft: false,
      state: PullRequest_State.UNSPECIFIED,
      headSha: "",
    });
    expect(response.pr).toEqual({
      $typeName: "gitpod.v1.ParseContextURLResponse.PullRequest",
      id: "5",
      title: "",
      fromBranch: "",
      toBranch: "",
    });
    expect(response.issue).toBeUndefined();
  });

  it("answers an enriched pull request with its branches, title, author, state and head, mirrored in pr", () => {
    const parsed = parseContextUrl("https://github.com/o/r/pull/42");
    const response = toParseContextUrlResponse(parsed, {
      defaultBranch: "main",
      pullRequest: {
        title: "Add things",
        fromBranch: "feature/x",
        toBranch: "main",
        author: "octocat",
        state: PullRequest_State.OPEN,
        draft: true,
        headSha: sha,
      },
    });
    expect(response.git).toEqual(
      git({ cloneUrl: "https://github.com/o/r.git", branch: "feature/x", host: "github.com", owner: "o", repo: "r" }),
    );
    expect(response.pullRequest).toMatchObject({
      id: "42",
      title: "Add things",
      fromBranch: "feature/x",
      toBranch: "main",
      url: "https://github.com/o/r/pull/42",
      author: "octocat",
      draft: true,
      state: PullRequest_State.OPEN,
      headSha: sha,
    });
    expect(response.pr).toEqual({
      $typeName: "gitpod.v1.ParseContextURLResponse.PullRequest",
      id: "42",
      title: "Add things",
      fromBranch: "feature/x",
      toBranch: "main",
    });
  });

  it.each([
    ["open", PullRequest_State.OPEN],
    ["closed", PullRequest_State.CLOSED],
    ["merged", PullRequest_State.MERGED],
  ] as const)("takes the SCM's pull request state %s as the enum", (state, expected) => {
    const parsed = parseContextUrl("https://github.com/o/r/pull/42");
    expect(toParseContextUrlResponse(parsed, { pullRequest: { state } }).pullRequest?.state).toBe(expected);
  });

  it("clones a pull request from a fork with the URL's repository as upstream", () => {
    const parsed = parseContextUrl("https://bitbucket.org/w/r/pull-requests/3");
    const response = toParseContextUrlResponse(parsed, {
      pullRequest: { fromBranch: "fix", headCloneUrl: "https://bitbucket.org/me/r.git", url: "https://x.test/pr/3" },
    });
    expect(response.git).toMatchObject({
      cloneUrl: "https://bitbucket.org/me/r.git",
      upstreamRemoteUrl: "https://bitbucket.org/w/r.git",
      branch: "fix",
      owner: "w",
    });
    expect(response.pullRequest?.repository?.cloneUrl).toBe("https://bitbucket.org/w/r.git");
    expect(response.pullRequest?.url).toBe("https://x.test/pr/3");
  });

  it("answers an issue with its id, and its title and the default branch once the API told them", () => {
    const parsed = parseContextUrl("https://github.com/o/r/issues/7");
    const bare = toParseContextUrlResponse(parsed);
    expect(bare.issue).toEqual({ $typeName: "gitpod.v1.ParseContextURLResponse.Issue", id: "7", title: "" });
    expect(bare.pullRequest).toBeUndefined();
    expect(bare.pr).toBeUndefined();
    const enriched = toParseContextUrlResponse(parsed, { issueTitle: "It breaks", defaultBranch: "trunk" });
    expect(enriched.issue?.title).toBe("It breaks");
    expect(enriched.git?.branch).toBe("trunk");
  });

  it("answers an unknown host with an empty scm_id and the URL as clone URL", () => {
    const response = toParseContextUrlResponse(parseContextUrl("ssh://git@host.example.org:2222/o/r.git"));
    expect(response.scmId).toBe("");
    expect(response.git).toEqual(
      git({ cloneUrl: "ssh://git@host.example.org:2222/o/r.git", host: "host.example.org", owner: "o", repo: "r" }),
    );
  });
});
