import {
  asArray,
  asRecord,
  bool,
  checkId,
  getJson,
  httpOptions,
  isRecord,
  linkParam,
  pageNumber,
  pageSize,
  readInRepository,
  repositoryAccess,
  type ScmApi,
  ScmApiError,
  type ScmApiOptions,
  type ScmHttpOptions,
  type ScmIssue,
  type ScmOrganization,
  type ScmOrganizationPage,
  type ScmPageRequest,
  type ScmPullRequest,
  type ScmRepository,
  type ScmRepositoryAccess,
  type ScmRepositoryHit,
  type ScmRepositoryPage,
  type ScmResponse,
  type ScmSearchMode,
  str,
  sub,
} from "./scm-api.js";

/** github.com's REST API. GitHub Enterprise Server: `https://<host>/api/v3`. */
export const GITHUB_API_BASE_URL = "https://api.github.com";

const SCM = "GitHub";

/**
 * With a query, organizations are filtered here (GitHub cannot search a user's
 * memberships), over at most this many pages of 100.
 */
const MAX_MEMBERSHIP_PAGES = 10;

export interface GitHubApiOptions extends ScmApiOptions {
  /**
   * Web root that organization URLs are built on (the REST answer has only API URLs).
   * Default: `https://github.com` for api.github.com, else the API base URL without a
   * trailing `/api/v3` (GitHub Enterprise Server).
   */
  webBaseUrl?: string | undefined;
}

/** The web root matching a GitHub API base URL (see `GitHubApiOptions.webBaseUrl`). */
export function githubWebBaseUrl(apiBaseUrl: string): string {
  const url = new URL(apiBaseUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  return url.origin + url.pathname.replace(/\/+$/, "").replace(/\/api\/v3$/, "");
}

/**
 * GitHub REST API v3 (`Authorization: Bearer <token>`, works for OAuth tokens and PATs).
 *
 * - `searchRepositories`: `GET /search/repositories`; in keyword mode the query becomes
 *   `<query> in:name fork:true`, in native mode it is sent as written. An empty query lists
 *   the caller's own repositories (`GET /user/repos`, most recently updated first). Tokens
 *   and `lastPage` come from the `Link` header.
 * - `listOrganizations`: `GET /user/memberships/orgs?state=active` (one call gives both the
 *   organizations and the caller's role, so `isAdmin` is exact). Without a query, pages pass
 *   through; with one, memberships (up to 1 000) are filtered by name here and the filtered
 *   list is paged, so every page but the last is full.
 */
export class GitHubApi implements ScmApi {
  readonly #http: ScmHttpOptions;
  readonly #webBaseUrl: string;

  constructor(options: GitHubApiOptions) {
    const http = httpOptions(options, { scmName: SCM, baseUrl: GITHUB_API_BASE_URL }, (token) => ({
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": "runnerplane-runner",
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    }));
    this.#http = { ...http, classify: rateLimited };
    this.#webBaseUrl = (options.webBaseUrl ?? githubWebBaseUrl(http.baseUrl)).replace(/\/+$/, "");
  }

  async getAuthenticatedUser(): Promise<{ login: string }> {
    const { body } = await getJson(this.#http, "/user", "the authenticated user");
    return { login: str(asRecord(body, SCM).login) };
  }

  async getRepository(owner: string, repo: string): Promise<ScmRepository> {
    const { body } = await getJson(this.#http, repoPath(owner, repo), `repository "${owner}/${repo}"`);
    const r = asRecord(body, SCM);
    return { defaultBranch: str(r.default_branch), cloneUrl: str(r.clone_url), private: bool(r.private) };
  }

  async getPullRequest(owner: string, repo: string, id: number): Promise<ScmPullRequest> {
    const what = `pull request #${checkId(id, "pull request")} of "${owner}/${repo}"`;
    const { body } = await readInRepository(
      SCM,
      what,
      () => getJson(this.#http, `${repoPath(owner, repo)}/pulls/${id}`, what),
      () => this.getRepository(owner, repo),
    );
    const pr = asRecord(body, SCM);
    const head = sub(pr, "head");
    return {
      title: str(pr.title),
      fromBranch: str(head.ref),
      toBranch: str(sub(pr, "base").ref),
      author: str(sub(pr, "user").login),
      state: typeof pr.merged_at === "string" ? "merged" : pr.state === "open" ? "open" : "closed",
      draft: bool(pr.draft),
      headSha: str(head.sha),
      url: str(pr.html_url),
    };
  }

  async getIssue(owner: string, repo: string, id: number): Promise<ScmIssue> {
    const what = `issue #${checkId(id, "issue")} of "${owner}/${repo}"`;
    const { body } = await readInRepository(
      SCM,
      what,
      () => getJson(this.#http, `${repoPath(owner, repo)}/issues/${id}`, what),
      () => this.getRepository(owner, repo),
    );
    return { title: str(asRecord(body, SCM).title) };
  }

  checkRepositoryAccess(owner: string, repo: string): Promise<ScmRepositoryAccess> {
    return repositoryAccess(() => this.getRepository(owner, repo));
  }

  async searchRepositories(
    query: string,
    page: ScmPageRequest,
    mode: ScmSearchMode = "keyword",
  ): Promise<ScmRepositoryPage> {
    const number = pageNumber(page.token);
    const paging = { per_page: String(pageSize(page.size)), page: String(number) };
    const q = query.trim();
    let response: ScmResponse;
    let items: unknown[];
    if (q === "") {
      const params = new URLSearchParams({ sort: "updated", ...paging });
      response = await getJson(this.#http, `/user/repos?${params}`, "repositories");
      items = asArray(response.body, SCM);
    } else {
      const params = new URLSearchParams({ q: mode === "native" ? q : `${q} in:name fork:true`, ...paging });
      response = await getJson(this.#http, `/search/repositories?${params}`, "repository search");
      items = asArray(asRecord(response.body, SCM).items, SCM);
    }
    const link = response.headers.get("link");
    const nextToken = pageParam(link, "next");
    const last = pageParam(link, "last");
    return {
      repositories: items
        .filter(isRecord)
        .map((r): ScmRepositoryHit => ({ name: str(r.full_name), url: str(r.html_url) })),
      nextToken,
      lastPage: last !== "" ? Number(last) : nextToken === "" ? number : 0,
    };
  }

  async listOrganizations(query: string, page: ScmPageRequest): Promise<ScmOrganizationPage> {
    if (!this.#http.hasToken) {
      throw new ScmApiError(
        "unauthenticated",
        `${SCM} requires authentication to list organizations: authenticate first`,
      );
    }
    const number = pageNumber(page.token);
    const size = pageSize(page.size);
    const q = query.trim().toLowerCase();
    if (q === "") return this.#memberships(size, number);
    const all: ScmOrganization[] = [];
    for (let p = 1; p <= MAX_MEMBERSHIP_PAGES; p++) {
      const { organizations, nextToken } = await this.#memberships(100, p);
      all.push(...organizations);
      if (nextToken === "") break;
    }
    const matching = all.filter((o) => o.name.toLowerCase().includes(q));
    return {
      organizations: matching.slice((number - 1) * size, number * size),
      nextToken: number * size < matching.length ? String(number + 1) : "",
    };
  }

  async #memberships(perPage: number, page: number): Promise<ScmOrganizationPage> {
    const params = new URLSearchParams({ state: "active", per_page: String(perPage), page: String(page) });
    const response = await getJson(this.#http, `/user/memberships/orgs?${params}`, "organizations");
    const organizations = asArray(response.body, SCM)
      .filter(isRecord)
      .map((m): ScmOrganization => {
        const login = str(sub(m, "organization").login);
        return { name: login, url: `${this.#webBaseUrl}/${login}`, isAdmin: m.role === "admin" };
      });
    return { organizations, nextToken: pageParam(response.headers.get("link"), "next") };
  }
}

function repoPath(owner: string, repo: string): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

/** The `page` of the `rel` link, if it is a page number. */
function pageParam(link: string | null, rel: string): string {
  const page = linkParam(link, rel, "page");
  return /^[1-9][0-9]*$/.test(page) ? page : "";
}

/** GitHub answers an exhausted rate limit with 403 (primary) or 403/429 (secondary). */
function rateLimited(response: Response): "unavailable" | undefined {
  if (response.status !== 403) return undefined;
  return response.headers.get("x-ratelimit-remaining") === "0" || response.headers.has("retry-after")
    ? "unavailable"
    : undefined;
}
