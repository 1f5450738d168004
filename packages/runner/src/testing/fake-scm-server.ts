/**
 * A fake SCM for tests: one local HTTP server answering the GitHub REST v3 and GitLab
 * REST v4 calls the runner makes, from in-memory data shared by both shapes.
 *
 *   const scm = await startFakeScmServer({ tokens: ["t"], repos: [{ owner: "acme", name: "app" }] });
 *   new GitHubApi({ apiBaseUrl: `${scm.url}/github`, token: "t" });
 *   new GitLabApi({ apiBaseUrl: `${scm.url}/gitlab/api/v4`, token: "t" });
 *
 * Served (GET only):
 *   /github/repos/:owner/:repo, …/pulls/:n, …/issues/:n, /github/search/repositories?q=,
 *   /github/user, /github/user/repos, /github/user/orgs, /github/user/memberships/orgs
 *   /gitlab/api/v4/user, /gitlab/api/v4/projects/:id (url-encoded full path or numeric id), …/merge_requests/:iid,
 *   …/issues/:iid, /gitlab/api/v4/projects?search=&membership=, /gitlab/api/v4/groups?search=
 *
 * Authentication, as the real services (and the runner's brief) have it:
 * - a token (`Authorization: Bearer|token <t>`, or GitLab's `PRIVATE-TOKEN`) not in
 *   `data.tokens` → 401 on every endpoint;
 * - a private repository without a token → GitHub 404, GitLab 401;
 * - a private repository with a known token not in its `tokens` → GitHub 404, GitLab 403;
 * - the `/user/…` endpoints and GitLab's `/groups` need a token (401 without).
 *
 * Lists honour `per_page` (default GitHub 30, GitLab 20, at most 100) and `page`, and
 * answer GitHub's `Link` header / GitLab's `X-Next-Page`, `X-Total-Pages`, … headers.
 * Search matches every word of the query (GitHub `key:value` qualifiers are ignored) as a
 * case-insensitive substring of `owner/name`; organizations match on their name.
 *
 * Web URLs are `<url>/github/<owner>/<name>` and `<url>/gitlab/<owner>/<name>`, clone URLs
 * the same with `.git`. `data` is read on every request, so tests may change it between calls.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeScmData {
  /** Every token the fake knows; any other token is rejected (401). */
  tokens: string[];
  repos: FakeRepo[];
  orgs?: FakeOrg[];
  /** The account (login / username) each token belongs to, for `GET /user`. */
  logins?: Record<string, string>;
}

export interface FakeRepo {
  /** User or organization; on GitLab possibly nested (`group/subgroup`). */
  owner: string;
  name: string;
  /** Default false. */
  private?: boolean;
  /** Default `main`. */
  defaultBranch?: string;
  /** Tokens of members (may read it when private; listed by `membership` searches). */
  tokens?: string[];
  pullRequests?: FakePullRequest[];
  issues?: FakeIssue[];
}

/** Served as a GitHub pull request and as a GitLab merge request. */
export interface FakePullRequest {
  number: number;
  title: string;
  fromBranch: string;
  toBranch: string;
  author: string;
  state: "open" | "closed" | "merged";
  draft?: boolean;
  headSha: string;
}

export interface FakeIssue {
  number: number;
  title: string;
}

/** Served as a GitHub organization and as a GitLab group (`name` is its full path). */
export interface FakeOrg {
  name: string;
  /** Tokens of members. */
  members: string[];
  /** Tokens of admins (GitHub role `admin`; GitLab access level 50); they are members too. */
  admins?: string[];
}

export interface FakeScmRequest {
  method: string;
  /** Path and query string, as received. */
  path: string;
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
}

export interface FakeScmServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** Every request received, in order. */
  requests: FakeScmRequest[];
  /** While set, every request is answered with this status (e.g. 502), to simulate an outage. */
  failRequests(status: number | undefined): void;
  close(): Promise<void>;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

export async function startFakeScmServer(data: FakeScmData): Promise<FakeScmServer> {
  const requests: FakeScmRequest[] = [];
  let failure: number | undefined;
  let url = "";

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization });
    const answer = failure !== undefined ? { status: failure, body: { message: "Fake outage" } } : route(req);
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });

  function route(req: IncomingMessage): Answer {
    const u = new URL(req.url ?? "/", url);
    const token = tokenOf(req);
    if (req.method !== "GET") return { status: 405, body: { message: "Method Not Allowed" } };
    if (u.pathname.startsWith("/github/")) {
      if (token !== undefined && !data.tokens.includes(token))
        return { status: 401, body: { message: "Bad credentials" } };
      return github(segments(u.pathname.slice("/github/".length)), u, token);
    }
    if (u.pathname.startsWith("/gitlab/api/v4/")) {
      if (token !== undefined && !data.tokens.includes(token))
        return { status: 401, body: { message: "401 Unauthorized" } };
      return gitlab(segments(u.pathname.slice("/gitlab/api/v4/".length)), u, token);
    }
    return { status: 404, body: { message: "Not Found" } };
  }

  // --- GitHub -----------------------------------------------------------------------------

  function github(path: string[], u: URL, token: string | undefined): Answer {
    const notFound: Answer = { status: 404, body: { message: "Not Found" } };
    const [a, b, c, d, e] = path;
    if (a === "user" && path.length === 1) {
      if (token === undefined) return { status: 401, body: { message: "Requires authentication" } };
      return { status: 200, body: { login: data.logins?.[token] ?? "unknown" } };
    }
    if (a === "repos" && b !== undefined && c !== undefined) {
      const repo = findRepo(b, c);
      if (repo === undefined || !canRead(repo, token)) return notFound;
      if (d === undefined) return { status: 200, body: githubRepo(repo) };
      const n = Number(e);
      if (d === "pulls" && path.length === 5) {
        const pr = repo.pullRequests?.find((p) => p.number === n);
        return pr === undefined ? notFound : { status: 200, body: githubPull(repo, pr) };
      }
      if (d === "issues" && path.length === 5) {
        const issue = repo.issues?.find((i) => i.number === n);
        return issue === undefined ? notFound : { status: 200, body: { number: n, title: issue.title, state: "open" } };
      }
      return notFound;
    }
    if (a === "search" && b === "repositories" && path.length === 2) {
      const q = u.searchParams.get("q") ?? "";
      const words = q.split(/\s+/).filter((w) => w !== "" && !w.includes(":"));
      if (words.length === 0) return { status: 422, body: { message: "Validation Failed" } };
      const hits = data.repos.filter((r) => canRead(r, token) && matches(`${r.owner}/${r.name}`, words));
      const page = paginate(hits, u, 30);
      return {
        status: 200,
        body: { total_count: hits.length, incomplete_results: false, items: page.items.map(githubRepo) },
        headers: githubLink(u, page),
      };
    }
    if (a === "user" && path.length >= 2) {
      if (token === undefined) return { status: 401, body: { message: "Requires authentication" } };
      if (b === "repos" && path.length === 2) {
        const page = paginate(
          data.repos.filter((r) => isMember(r, token)),
          u,
          30,
        );
        return { status: 200, body: page.items.map(githubRepo), headers: githubLink(u, page) };
      }
      const mine = (data.orgs ?? []).filter((o) => isOrgMember(o, token));
      if (b === "orgs" && path.length === 2) {
        const page = paginate(mine, u, 30);
        return {
          status: 200,
          body: page.items.map((o) => ({ login: o.name, url: `${url}/github/orgs/${o.name}` })),
          headers: githubLink(u, page),
        };
      }
      if (b === "memberships" && c === "orgs" && path.length === 3) {
        const page = paginate(mine, u, 30);
        return {
          status: 200,
          body: page.items.map((o) => ({
            state: "active",
            role: o.admins?.includes(token) ? "admin" : "member",
            organization: { login: o.name, url: `${url}/github/orgs/${o.name}` },
          })),
          headers: githubLink(u, page),
        };
      }
    }
    return notFound;
  }

  function githubRepo(r: FakeRepo) {
    const full = `${r.owner}/${r.name}`;
    return {
      name: r.name,
      full_name: full,
      owner: { login: r.owner },
      private: r.private === true,
      visibility: r.private === true ? "private" : "public",
      default_branch: r.defaultBranch ?? "main",
      html_url: `${url}/github/${full}`,
      clone_url: `${url}/github/${full}.git`,
    };
  }

  function githubPull(r: FakeRepo, pr: FakePullRequest) {
    return {
      number: pr.number,
      title: pr.title,
      state: pr.state === "open" ? "open" : "closed",
      merged_at: pr.state === "merged" ? "2024-01-01T00:00:00Z" : null,
      draft: pr.draft === true,
      user: { login: pr.author },
      head: { ref: pr.fromBranch, sha: pr.headSha },
      base: { ref: pr.toBranch },
      html_url: `${url}/github/${r.owner}/${r.name}/pull/${pr.number}`,
    };
  }

  function githubLink(u: URL, page: Page<unknown>): Record<string, string> {
    const link = (n: number, rel: string) => {
      const target = new URL(u);
      target.searchParams.set("page", String(n));
      return `<${target.href}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page.page < page.totalPages) links.push(link(page.page + 1, "next"), link(page.totalPages, "last"));
    if (page.page > 1) links.push(link(1, "first"), link(page.page - 1, "prev"));
    return links.length === 0 ? {} : { link: links.join(", ") };
  }

  // --- GitLab -----------------------------------------------------------------------------

  function gitlab(path: string[], u: URL, token: string | undefined): Answer {
    const [a, b, c, d] = path;
    if (a === "user" && path.length === 1) {
      if (token === undefined) return { status: 401, body: { message: "401 Unauthorized" } };
      return { status: 200, body: { username: data.logins?.[token] ?? "unknown" } };
    }
    if (a === "projects" && b !== undefined) {
      const repo = data.repos.find((r, i) => `${r.owner}/${r.name}` === b || String(i + 1) === b);
      if (repo === undefined) return { status: 404, body: { message: "404 Project Not Found" } };
      if (!canRead(repo, token)) {
        return token === undefined
          ? { status: 401, body: { message: "401 Unauthorized" } }
          : { status: 403, body: { message: "403 Forbidden" } };
      }
      if (c === undefined) return { status: 200, body: gitlabProject(repo) };
      const n = Number(d);
      if (c === "merge_requests" && path.length === 4) {
        const mr = repo.pullRequests?.find((p) => p.number === n);
        if (mr === undefined) return { status: 404, body: { message: "404 Not found" } };
        return { status: 200, body: gitlabMergeRequest(repo, mr) };
      }
      if (c === "issues" && path.length === 4) {
        const issue = repo.issues?.find((i) => i.number === n);
        if (issue === undefined) return { status: 404, body: { message: "404 Not found" } };
        return { status: 200, body: { iid: n, title: issue.title, state: "opened" } };
      }
      return { status: 404, body: { message: "404 Not Found" } };
    }
    if (a === "projects" && path.length === 1) {
      const words = (u.searchParams.get("search") ?? "").split(/\s+/).filter((w) => w !== "");
      const membership = u.searchParams.get("membership") === "true" && token !== undefined;
      const hits = data.repos.filter(
        (r) => (membership ? isMember(r, token) : canRead(r, token)) && matches(`${r.owner}/${r.name}`, words),
      );
      const page = paginate(hits, u, 20);
      return { status: 200, body: page.items.map(gitlabProject), headers: gitlabHeaders(u, page) };
    }
    if (a === "groups" && path.length === 1) {
      if (token === undefined) return { status: 401, body: { message: "401 Unauthorized" } };
      const words = (u.searchParams.get("search") ?? "").split(/\s+/).filter((w) => w !== "");
      const hits = (data.orgs ?? []).filter((o) => isOrgMember(o, token) && matches(o.name, words));
      const page = paginate(hits, u, 20);
      return {
        status: 200,
        body: page.items.map((o, i) => ({
          id: i + 1,
          name: o.name.split("/").at(-1),
          full_path: o.name,
          web_url: `${url}/gitlab/groups/${o.name}`,
        })),
        headers: gitlabHeaders(u, page),
      };
    }
    return { status: 404, body: { error: "404 Not Found" } };
  }

  function gitlabProject(r: FakeRepo) {
    const full = `${r.owner}/${r.name}`;
    return {
      id: data.repos.indexOf(r) + 1,
      name: r.name,
      path_with_namespace: full,
      visibility: r.private === true ? "private" : "public",
      default_branch: r.defaultBranch ?? "main",
      web_url: `${url}/gitlab/${full}`,
      http_url_to_repo: `${url}/gitlab/${full}.git`,
    };
  }

  function gitlabMergeRequest(r: FakeRepo, mr: FakePullRequest) {
    return {
      iid: mr.number,
      title: mr.title,
      state: mr.state === "open" ? "opened" : mr.state,
      draft: mr.draft === true,
      source_branch: mr.fromBranch,
      target_branch: mr.toBranch,
      author: { username: mr.author },
      sha: mr.headSha,
      web_url: `${url}/gitlab/${r.owner}/${r.name}/-/merge_requests/${mr.number}`,
    };
  }

  function gitlabHeaders(u: URL, page: Page<unknown>): Record<string, string> {
    const next = page.page < page.totalPages ? String(page.page + 1) : "";
    const target = new URL(u);
    target.searchParams.set("page", next);
    return {
      "x-page": String(page.page),
      "x-per-page": String(page.perPage),
      "x-total": String(page.total),
      "x-total-pages": String(page.totalPages),
      "x-next-page": next,
      "x-prev-page": page.page > 1 ? String(page.page - 1) : "",
      ...(next === "" ? {} : { link: `<${target.href}>; rel="next"` }),
    };
  }

  // --- Shared -----------------------------------------------------------------------------

  function findRepo(owner: string, name: string): FakeRepo | undefined {
    return data.repos.find((r) => r.owner === owner && r.name === name);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    failRequests(status) {
      failure = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function tokenOf(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) return /^(?:bearer|token)\s+(.+)$/i.exec(authorization)?.[1];
  const privateToken = req.headers["private-token"];
  return typeof privateToken === "string" ? privateToken : undefined;
}

/** Path segments, each URL-decoded (so GitLab's `group%2Fname` is one segment). */
function segments(path: string): string[] {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
}

function canRead(repo: FakeRepo, token: string | undefined): boolean {
  return repo.private !== true || isMember(repo, token);
}

function isMember(repo: FakeRepo, token: string | undefined): boolean {
  return token !== undefined && (repo.tokens ?? []).includes(token);
}

function isOrgMember(org: FakeOrg, token: string): boolean {
  return org.members.includes(token) || (org.admins ?? []).includes(token);
}

function matches(text: string, words: string[]): boolean {
  const t = text.toLowerCase();
  return words.every((w) => t.includes(w.toLowerCase()));
}

interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
  totalPages: number;
}

function paginate<T>(all: T[], u: URL, defaultPerPage: number): Page<T> {
  const perPage = Math.min(
    Math.max(Number.parseInt(u.searchParams.get("per_page") ?? "", 10) || defaultPerPage, 1),
    100,
  );
  const page = Math.max(Number.parseInt(u.searchParams.get("page") ?? "", 10) || 1, 1);
  return {
    items: all.slice((page - 1) * perPage, page * perPage),
    page,
    perPage,
    total: all.length,
    totalPages: Math.max(1, Math.ceil(all.length / perPage)),
  };
}
