import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeScmData, type FakeScmServer, startFakeScmServer } from "../testing/fake-scm-server.js";
import { GITHUB_API_BASE_URL, GitHubApi, githubWebBaseUrl } from "./github-api.js";
import { GITLAB_API_BASE_URL, GitLabApi } from "./gitlab-api.js";
import { apiBaseUrlFor, type ScmApi, ScmApiError, type ScmApiErrorKind } from "./scm-api.js";

const ALICE = "alice-token";
const BOB = "bob-token";
/** Known to the SCM, but a member of nothing. */
const CAROL = "carol-token";

const gadgets = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ owner: "acme", name: `gadget-${n}`, tokens: [ALICE] }));

const data: FakeScmData = {
  tokens: [ALICE, BOB, CAROL],
  repos: [
    {
      owner: "acme",
      name: "widgets",
      tokens: [ALICE],
      pullRequests: [
        {
          number: 1,
          title: "Add sprockets",
          fromBranch: "feature/sprockets",
          toBranch: "main",
          author: "alice",
          state: "open",
          headSha: "a1b2c3",
        },
        {
          number: 2,
          title: "Merged one",
          fromBranch: "m",
          toBranch: "main",
          author: "bob",
          state: "merged",
          headSha: "m1",
        },
        {
          number: 3,
          title: "Closed one",
          fromBranch: "c",
          toBranch: "main",
          author: "bob",
          state: "closed",
          headSha: "c1",
        },
        {
          number: 4,
          title: "WIP",
          fromBranch: "w",
          toBranch: "main",
          author: "alice",
          state: "open",
          draft: true,
          headSha: "w1",
        },
      ],
      issues: [{ number: 7, title: "Crash on start" }],
    },
    {
      owner: "acme",
      name: "secret",
      private: true,
      defaultBranch: "develop",
      tokens: [ALICE],
      pullRequests: [
        {
          number: 5,
          title: "Secret PR",
          fromBranch: "s",
          toBranch: "develop",
          author: "alice",
          state: "open",
          headSha: "s1",
        },
      ],
      issues: [{ number: 9, title: "Secret issue" }],
    },
    ...gadgets,
    { owner: "bob", name: "gadget-private", private: true, tokens: [BOB] },
    { owner: "group/sub", name: "deep", defaultBranch: "trunk", tokens: [ALICE] },
  ],
  orgs: [
    { name: "acme", members: [], admins: [ALICE] },
    { name: "acme-labs", members: [ALICE] },
    { name: "azure", members: [ALICE] },
    { name: "blue", members: [ALICE] },
    { name: "crimson", members: [ALICE] },
    { name: "bob-co", members: [BOB] },
  ],
};

let scm: FakeScmServer;
beforeAll(async () => {
  scm = await startFakeScmServer(data);
});
afterAll(async () => {
  await scm.close();
});
beforeEach(() => {
  scm.failRequests(undefined);
});

/** What differs between the two SCMs for the shared tests. */
interface Scm {
  name: string;
  api(token: string | undefined): ScmApi;
  /** The fake's web root for this SCM. */
  web(): string;
  /** Path prefix of its API requests on the fake. */
  prefix: string;
  pullUrl(n: number): string;
  orgUrl(name: string): string;
  /** What a known token without access to a private repository gets. */
  noAccessKind: ScmApiErrorKind;
  /** Whether `isAdmin` is reported. */
  reportsAdmin: boolean;
}

const scms: Scm[] = [
  {
    name: "GitHub",
    api: (token) => new GitHubApi({ apiBaseUrl: `${scm.url}/github`, token }),
    web: () => `${scm.url}/github`,
    prefix: "/github/",
    pullUrl: (n) => `${scm.url}/github/acme/widgets/pull/${n}`,
    orgUrl: (name) => `${scm.url}/github/${name}`,
    noAccessKind: "not_found",
    reportsAdmin: true,
  },
  {
    name: "GitLab",
    api: (token) => new GitLabApi({ apiBaseUrl: `${scm.url}/gitlab/api/v4`, token }),
    web: () => `${scm.url}/gitlab`,
    prefix: "/gitlab/api/v4/",
    pullUrl: (n) => `${scm.url}/gitlab/acme/widgets/-/merge_requests/${n}`,
    orgUrl: (name) => `${scm.url}/gitlab/groups/${name}`,
    noAccessKind: "permission_denied",
    reportsAdmin: false,
  },
];

/** The ScmApiError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<ScmApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScmApiError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** Every page, following next tokens until the empty one. */
async function allPages<P extends { nextToken: string }>(page: (token: string) => Promise<P>): Promise<P[]> {
  const pages: P[] = [];
  let token = "";
  do {
    const p = await page(token);
    pages.push(p);
    token = p.nextToken;
    if (pages.length > 20) throw new Error("pagination does not end");
  } while (token !== "");
  return pages;
}

function lastRequest() {
  const request = scm.requests.at(-1);
  if (request === undefined) throw new Error("no request");
  return request;
}

describe.each(scms)("$name", (s) => {
  describe("getRepository", () => {
    it("reads a public repository without a token", async () => {
      expect(await s.api(undefined).getRepository("acme", "widgets")).toEqual({
        defaultBranch: "main",
        cloneUrl: `${s.web()}/acme/widgets.git`,
        private: false,
      });
    });

    it("reads a private repository with a member's token", async () => {
      expect(await s.api(ALICE).getRepository("acme", "secret")).toEqual({
        defaultBranch: "develop",
        cloneUrl: `${s.web()}/acme/secret.git`,
        private: true,
      });
    });

    it("sends the token as a bearer token, and no Authorization without one", async () => {
      await s.api(ALICE).getRepository("acme", "widgets");
      expect(lastRequest()).toMatchObject({ method: "GET", authorization: `Bearer ${ALICE}` });
      expect(lastRequest().path.startsWith(s.prefix)).toBe(true);
      await s.api(undefined).getRepository("acme", "widgets");
      expect(lastRequest().authorization).toBeUndefined();
      await s.api("").getRepository("acme", "widgets");
      expect(lastRequest().authorization).toBeUndefined();
    });

    it("is unauthenticated for a private repository without a token", async () => {
      const error = await failure(s.api(undefined).getRepository("acme", "secret"));
      expect(error.kind).toBe("unauthenticated");
      expect(error.message).toContain(`authenticate with ${s.name}`);
    });

    it("is unauthenticated with a token the SCM does not know", async () => {
      const error = await failure(s.api("stolen-token").getRepository("acme", "widgets"));
      expect(error).toMatchObject({ kind: "unauthenticated", status: 401 });
      expect(error.message).toContain("rejected the access token");
    });

    it(`is ${s.noAccessKind} for a private repository the token may not read`, async () => {
      expect((await failure(s.api(CAROL).getRepository("acme", "secret"))).kind).toBe(s.noAccessKind);
    });

    it("is not_found for a missing repository with a token, unauthenticated without", async () => {
      const error = await failure(s.api(ALICE).getRepository("acme", "nope"));
      expect(error).toMatchObject({ kind: "not_found", status: 404 });
      expect(error.message).toContain('"acme/nope" was not found');
      expect((await failure(s.api(undefined).getRepository("acme", "nope"))).kind).toBe("unauthenticated");
    });

    it("is unavailable when the SCM answers 5xx", async () => {
      scm.failRequests(502);
      const error = await failure(s.api(ALICE).getRepository("acme", "widgets"));
      expect(error).toMatchObject({ kind: "unavailable", status: 502 });
      expect(error.message).toContain("HTTP 502");
    });
  });

  describe("getPullRequest", () => {
    it("reads an open pull request", async () => {
      expect(await s.api(undefined).getPullRequest("acme", "widgets", 1)).toEqual({
        title: "Add sprockets",
        fromBranch: "feature/sprockets",
        toBranch: "main",
        author: "alice",
        state: "open",
        draft: false,
        headSha: "a1b2c3",
        url: s.pullUrl(1),
      });
    });

    it("tells merged, closed and draft", async () => {
      const api = s.api(ALICE);
      expect(await api.getPullRequest("acme", "widgets", 2)).toMatchObject({ state: "merged", title: "Merged one" });
      expect(await api.getPullRequest("acme", "widgets", 3)).toMatchObject({ state: "closed" });
      expect(await api.getPullRequest("acme", "widgets", 4)).toMatchObject({ state: "open", draft: true });
    });

    it("reads one in a private repository with a member's token", async () => {
      expect(await s.api(ALICE).getPullRequest("acme", "secret", 5)).toMatchObject({ title: "Secret PR" });
    });

    it("is not_found for a missing one, with or without a token", async () => {
      expect((await failure(s.api(ALICE).getPullRequest("acme", "widgets", 99))).kind).toBe("not_found");
      // Without a token the repository is read again to tell "missing" from "private".
      const error = await failure(s.api(undefined).getPullRequest("acme", "widgets", 99));
      expect(error.kind).toBe("not_found");
      expect(error.message).toContain('99 of "acme/widgets" was not found');
    });

    it("is unauthenticated in a private repository without a token", async () => {
      expect((await failure(s.api(undefined).getPullRequest("acme", "secret", 5))).kind).toBe("unauthenticated");
    });

    it("rejects a number that is not positive without asking the SCM", async () => {
      const before = scm.requests.length;
      expect((await failure(s.api(ALICE).getPullRequest("acme", "widgets", 0))).kind).toBe("invalid_argument");
      expect(scm.requests.length).toBe(before);
    });
  });

  describe("getIssue", () => {
    it("reads an issue's title", async () => {
      expect(await s.api(undefined).getIssue("acme", "widgets", 7)).toEqual({ title: "Crash on start" });
      expect(await s.api(ALICE).getIssue("acme", "secret", 9)).toEqual({ title: "Secret issue" });
    });

    it("maps a missing issue and a hidden repository", async () => {
      expect((await failure(s.api(ALICE).getIssue("acme", "widgets", 8))).kind).toBe("not_found");
      expect((await failure(s.api(undefined).getIssue("acme", "widgets", 8))).kind).toBe("not_found");
      expect((await failure(s.api(undefined).getIssue("acme", "secret", 9))).kind).toBe("unauthenticated");
      expect((await failure(s.api(CAROL).getIssue("acme", "secret", 9))).kind).toBe(s.noAccessKind);
    });
  });

  describe("checkRepositoryAccess", () => {
    it("has access to public repositories and to private ones the token may read", async () => {
      const yes = { hasAccess: true, errorMessage: "" };
      expect(await s.api(undefined).checkRepositoryAccess("acme", "widgets")).toEqual(yes);
      expect(await s.api(ALICE).checkRepositoryAccess("acme", "secret")).toEqual(yes);
    });

    it("answers no access, with a message, when unauthenticated, not allowed or missing", async () => {
      const anonymous = await s.api(undefined).checkRepositoryAccess("acme", "secret");
      expect(anonymous.hasAccess).toBe(false);
      expect(anonymous.errorMessage).toContain(`authenticate with ${s.name}`);
      expect(await s.api(CAROL).checkRepositoryAccess("acme", "secret")).toMatchObject({ hasAccess: false });
      expect(await s.api("stolen-token").checkRepositoryAccess("acme", "widgets")).toMatchObject({ hasAccess: false });
      const missing = await s.api(ALICE).checkRepositoryAccess("acme", "nope");
      expect(missing.hasAccess).toBe(false);
      expect(missing.errorMessage).toContain("not found");
    });

    it("throws unavailable instead of answering no access during an outage", async () => {
      scm.failRequests(503);
      expect((await failure(s.api(ALICE).checkRepositoryAccess("acme", "widgets"))).kind).toBe("unavailable");
    });
  });

  describe("searchRepositories", () => {
    it("pages through every match, with next tokens until the empty one and the last page", async () => {
      const api = s.api(ALICE);
      const pages = await allPages((token) => api.searchRepositories("gadget", { size: 3, token }));
      expect(pages.map((p) => p.repositories.length)).toEqual([3, 3, 1]);
      expect(pages.map((p) => p.nextToken)).toEqual(["2", "3", ""]);
      expect(pages.map((p) => p.lastPage)).toEqual([3, 3, 3]);
      const names = pages.flatMap((p) => p.repositories.map((r) => r.name));
      expect(names).toEqual(gadgets.map((g) => `acme/${g.name}`));
      expect(pages[0]?.repositories[0]).toEqual({ name: "acme/gadget-1", url: `${s.web()}/acme/gadget-1` });
    });

    it("filters by the query, case-insensitively", async () => {
      const page = await s.api(ALICE).searchRepositories("WIDG", { size: 10, token: "" });
      expect(page).toEqual({
        repositories: [{ name: "acme/widgets", url: `${s.web()}/acme/widgets` }],
        nextToken: "",
        lastPage: 1,
      });
      expect((await s.api(ALICE).searchRepositories("no-such-thing", { size: 10, token: "" })).repositories).toEqual(
        [],
      );
    });

    it("finds private repositories only for their members", async () => {
      const names = async (token: string) =>
        (await s.api(token).searchRepositories("gadget", { size: 100, token: "" })).repositories.map((r) => r.name);
      expect(await names(ALICE)).not.toContain("bob/gadget-private");
      expect(await names(BOB)).toContain("bob/gadget-private");
    });

    it("lists the caller's own repositories for an empty query, and needs a token for it", async () => {
      const page = await s.api(ALICE).searchRepositories("", { size: 100, token: "" });
      const names = page.repositories.map((r) => r.name);
      expect(names).toContain("acme/secret");
      expect(names).toContain("acme/gadget-7");
      expect(names).not.toContain("bob/gadget-private");
      expect((await failure(s.api(undefined).searchRepositories("", { size: 10, token: "" }))).kind).toBe(
        "unauthenticated",
      );
    });

    it("asks for 25 per page by default and at most 100", async () => {
      await s.api(ALICE).searchRepositories("gadget", { size: 0, token: "" });
      expect(lastRequest().path).toContain("per_page=25");
      await s.api(ALICE).searchRepositories("gadget", { size: 500, token: "" });
      expect(lastRequest().path).toContain("per_page=100");
    });

    it("rejects a malformed page token", async () => {
      for (const token of ["abc", "0", "-1", "1.5"]) {
        expect((await failure(s.api(ALICE).searchRepositories("gadget", { size: 3, token }))).kind).toBe(
          "invalid_argument",
        );
      }
    });

    it("is unavailable during an outage", async () => {
      scm.failRequests(500);
      expect((await failure(s.api(ALICE).searchRepositories("gadget", { size: 3, token: "" }))).kind).toBe(
        "unavailable",
      );
    });
  });

  describe("listOrganizations", () => {
    it("pages through the caller's organizations", async () => {
      const api = s.api(ALICE);
      const pages = await allPages((token) => api.listOrganizations("", { size: 2, token }));
      expect(pages.map((p) => p.nextToken)).toEqual(["2", "3", ""]);
      expect(pages.map((p) => p.organizations.map((o) => o.name))).toEqual([
        ["acme", "acme-labs"],
        ["azure", "blue"],
        ["crimson"],
      ]);
      expect(pages[0]?.organizations[0]).toEqual({ name: "acme", url: s.orgUrl("acme"), isAdmin: s.reportsAdmin });
      expect(pages[0]?.organizations[1]?.isAdmin).toBe(false);
    });

    it("filters by the query, case-insensitively, and pages the filtered list", async () => {
      const api = s.api(ALICE);
      const pages = await allPages((token) => api.listOrganizations("ACME", { size: 1, token }));
      expect(pages.map((p) => p.organizations.map((o) => o.name))).toEqual([["acme"], ["acme-labs"]]);
      expect(pages.map((p) => p.nextToken)).toEqual(["2", ""]);
      expect((await api.listOrganizations("zzz", { size: 10, token: "" })).organizations).toEqual([]);
    });

    it("lists only the caller's own organizations", async () => {
      const page = await s.api(BOB).listOrganizations("", { size: 10, token: "" });
      expect(page.organizations.map((o) => o.name)).toEqual(["bob-co"]);
      expect((await s.api(CAROL).listOrganizations("", { size: 10, token: "" })).organizations).toEqual([]);
    });

    it("needs a token, and a valid one", async () => {
      const before = scm.requests.length;
      expect((await failure(s.api(undefined).listOrganizations("", { size: 10, token: "" }))).kind).toBe(
        "unauthenticated",
      );
      expect(scm.requests.length).toBe(before);
      expect((await failure(s.api("stolen-token").listOrganizations("", { size: 10, token: "" }))).kind).toBe(
        "unauthenticated",
      );
      await s.api(ALICE).listOrganizations("", { size: 10, token: "" });
      expect(lastRequest().authorization).toBe(`Bearer ${ALICE}`);
    });

    it("is unavailable during an outage, and rejects a malformed token", async () => {
      expect((await failure(s.api(ALICE).listOrganizations("", { size: 2, token: "x" }))).kind).toBe(
        "invalid_argument",
      );
      scm.failRequests(504);
      expect((await failure(s.api(ALICE).listOrganizations("", { size: 2, token: "" }))).kind).toBe("unavailable");
    });
  });

  it("is unavailable when the SCM cannot be reached", async () => {
    const dead = await startFakeScmServer({ tokens: [], repos: [] });
    await dead.close();
    const api =
      s.name === "GitHub"
        ? new GitHubApi({ apiBaseUrl: `${dead.url}/github`, token: ALICE })
        : new GitLabApi({ apiBaseUrl: `${dead.url}/gitlab/api/v4`, token: ALICE });
    const error = await failure(api.getRepository("acme", "widgets"));
    expect(error.kind).toBe("unavailable");
    expect(error.message).toContain("unreachable");
  });
});

/** A fetch that records its calls and answers `respond()`. */
function stubFetch(respond: () => Response) {
  const calls: { url: string; headers: Headers }[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), headers: new Headers(init?.headers) });
    return respond();
  };
  return { fetch, calls };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

describe("GitHub specifics", () => {
  it("calls api.github.com by default with GitHub's headers", async () => {
    const stub = stubFetch(() => json(200, { default_branch: "main", clone_url: "c", private: false }));
    await new GitHubApi({ token: "t", fetch: stub.fetch }).getRepository("o", "r");
    const call = stub.calls[0];
    expect(call?.url).toBe(`${GITHUB_API_BASE_URL}/repos/o/r`);
    expect(call?.headers.get("authorization")).toBe("Bearer t");
    expect(call?.headers.get("accept")).toBe("application/vnd.github+json");
    expect(call?.headers.get("x-github-api-version")).toBe("2022-11-28");
  });

  it("derives the web root from the API base URL", () => {
    expect(githubWebBaseUrl("https://api.github.com")).toBe("https://github.com");
    expect(githubWebBaseUrl("https://ghe.example.com/api/v3/")).toBe("https://ghe.example.com");
    expect(githubWebBaseUrl("http://127.0.0.1:9/github")).toBe("http://127.0.0.1:9/github");
  });

  it("uses the configured web root for organization URLs", async () => {
    const api = new GitHubApi({ apiBaseUrl: `${scm.url}/github`, token: ALICE, webBaseUrl: "https://ghe.example/" });
    const page = await api.listOrganizations("crim", { size: 10, token: "" });
    expect(page.organizations).toEqual([{ name: "crimson", url: "https://ghe.example/crimson", isAdmin: false }]);
  });

  it("searches names (with forks) in keyword mode and passes the query through in native mode", async () => {
    const api = new GitHubApi({ apiBaseUrl: `${scm.url}/github`, token: ALICE });
    await api.searchRepositories("widg", { size: 5, token: "" });
    expect(new URL(lastRequest().path, scm.url).searchParams.get("q")).toBe("widg in:name fork:true");
    const native = await api.searchRepositories("widg user:acme", { size: 5, token: "" }, "native");
    expect(new URL(lastRequest().path, scm.url).searchParams.get("q")).toBe("widg user:acme");
    expect(native.repositories.map((r) => r.name)).toEqual(["acme/widgets"]);
  });

  it("maps rate limits to unavailable and other 403s to permission_denied with GitHub's reason", async () => {
    const kind = async (response: Response) =>
      (await failure(new GitHubApi({ token: "t", fetch: async () => response }).getRepository("o", "r"))).kind;
    expect(await kind(json(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0" }))).toBe(
      "unavailable",
    );
    expect(await kind(json(403, { message: "secondary rate limit" }, { "retry-after": "60" }))).toBe("unavailable");
    expect(await kind(json(429, { message: "Too Many Requests" }))).toBe("unavailable");
    const sso = "Resource protected by organization SAML enforcement.";
    const error = await failure(
      new GitHubApi({ token: "t", fetch: async () => json(403, { message: sso }) }).getRepository("o", "r"),
    );
    expect(error.kind).toBe("permission_denied");
    expect(error.message).toContain(sso);
  });

  it("maps a rejected search to invalid_argument and a garbled answer to unavailable", async () => {
    const rejected = new GitHubApi({ token: "t", fetch: async () => json(422, { message: "Validation Failed" }) });
    expect((await failure(rejected.searchRepositories("x", { size: 1, token: "" }))).kind).toBe("invalid_argument");
    const garbled = new GitHubApi({ token: "t", fetch: async () => new Response("<html>", { status: 200 }) });
    expect((await failure(garbled.getRepository("o", "r"))).kind).toBe("unavailable");
    const wrongShape = new GitHubApi({ token: "t", fetch: async () => json(200, { items: "nope" }) });
    expect((await failure(wrongShape.searchRepositories("x", { size: 1, token: "" }))).kind).toBe("unavailable");
  });

  it("is unavailable when the SCM does not answer in time", async () => {
    const hanging = (_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const error = await failure(new GitHubApi({ token: "t", fetch: hanging, timeoutMs: 50 }).getRepository("o", "r"));
    expect(error.kind).toBe("unavailable");
    expect(error.message).toContain("timed out");
  });
});

describe("GitLab specifics", () => {
  it("calls gitlab.com by default and addresses projects by their encoded path", async () => {
    const stub = stubFetch(() => json(200, { default_branch: null, http_url_to_repo: "c", visibility: "internal" }));
    const repo = await new GitLabApi({ token: "t", fetch: stub.fetch }).getRepository("group/sub", "deep");
    expect(stub.calls[0]?.url).toBe(`${GITLAB_API_BASE_URL}/projects/group%2Fsub%2Fdeep`);
    expect(stub.calls[0]?.headers.get("authorization")).toBe("Bearer t");
    // An empty project has no default branch yet; internal projects are not public.
    expect(repo).toEqual({ defaultBranch: "", cloneUrl: "c", private: true });
  });

  it("reads projects in nested groups", async () => {
    const api = new GitLabApi({ apiBaseUrl: `${scm.url}/gitlab/api/v4`, token: undefined });
    expect(await api.getRepository("group/sub", "deep")).toMatchObject({ defaultBranch: "trunk", private: false });
    expect(lastRequest().path).toBe("/gitlab/api/v4/projects/group%2Fsub%2Fdeep");
  });

  it("searches the caller's projects with a token and public ones without", async () => {
    await new GitLabApi({ apiBaseUrl: `${scm.url}/gitlab/api/v4`, token: ALICE }).searchRepositories("deep", {
      size: 5,
      token: "",
    });
    expect(new URL(lastRequest().path, scm.url).searchParams.get("membership")).toBe("true");
    const anonymous = new GitLabApi({ apiBaseUrl: `${scm.url}/gitlab/api/v4`, token: undefined });
    const page = await anonymous.searchRepositories("gadget", { size: 100, token: "" });
    expect(new URL(lastRequest().path, scm.url).searchParams.has("membership")).toBe(false);
    expect(page.repositories.map((r) => r.name)).toEqual(gadgets.map((g) => `acme/${g.name}`));
  });

  it("lists groups with any membership level, searched by GitLab", async () => {
    await new GitLabApi({ apiBaseUrl: `${scm.url}/gitlab/api/v4`, token: ALICE }).listOrganizations("blu", {
      size: 5,
      token: "",
    });
    const params = new URL(lastRequest().path, scm.url).searchParams;
    expect(params.get("min_access_level")).toBe("10");
    expect(params.get("search")).toBe("blu");
  });
});

describe("apiBaseUrlFor", () => {
  it("takes the configured base URL first, else the self-hosted API path, else the public default", () => {
    const overrides = { "ghe.example.com": "https://ghe-api.example.com", "gitlab.com": "https://gl.example/api/v4" };
    expect(apiBaseUrlFor("github", "GHE.example.com", overrides)).toBe("https://ghe-api.example.com");
    expect(apiBaseUrlFor("gitlab", "gitlab.com", overrides)).toBe("https://gl.example/api/v4");
    expect(apiBaseUrlFor("github", "Git.Corp.example", {})).toBe("https://git.corp.example/api/v3");
    expect(apiBaseUrlFor("gitlab", "gitlab.corp.example", {})).toBe("https://gitlab.corp.example/api/v4");
    expect(apiBaseUrlFor("github", "github.com", {})).toBeUndefined();
    expect(apiBaseUrlFor("gitlab", "GitLab.com", {})).toBeUndefined();
    expect(apiBaseUrlFor("bitbucket", "bitbucket.org", {})).toBeUndefined();
  });
});
