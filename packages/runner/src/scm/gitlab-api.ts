import {
  asArray,
  asRecord,
  bool,
  checkId,
  getJson,
  httpOptions,
  isRecord,
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
  str,
  sub,
} from "./scm-api.js";

/** gitlab.com's REST API. Self-managed: `https://<host>/api/v4`. */
export const GITLAB_API_BASE_URL = "https://gitlab.com/api/v4";

const SCM = "GitLab";

/** `min_access_level` for groups: 10 = Guest, i.e. any membership. */
const ANY_MEMBERSHIP = "10";

/**
 * GitLab REST API v4. The token goes in `Authorization: Bearer` (GitLab accepts OAuth
 * tokens and personal/project/group access tokens there; `PRIVATE-TOKEN` would not work
 * for OAuth tokens). Projects are addressed by their URL-encoded full path
 * (`group%2Fsubgroup%2Fname`), so no lookup of numeric ids is needed.
 *
 * - `searchRepositories`: `GET /projects?membership=true` (the caller's projects, most
 *   recently active first), with `search` (+ `search_namespaces`, so `group/name` matches)
 *   when the query is not empty. Keyword and native mode are the same: GitLab's project
 *   search has no syntax of its own. Without a token, `membership` is left out and a
 *   non-empty query searches public projects; an empty one is `unauthenticated`. Tokens come
 *   from `X-Next-Page`, `lastPage` from `X-Total-Pages` (absent past 10 000 results → 0).
 * - `listOrganizations`: `GET /groups?min_access_level=10&search=` (searched by GitLab),
 *   pages passed through via `X-Next-Page`. `name` is the group's full path. `isAdmin`
 *   (deprecated on the wire) is always false: the groups list does not say the caller's
 *   access level, and asking per group would cost a call per group.
 * - Merge request state `opened` → open, `merged` → merged, `closed` / `locked` → closed;
 *   `draft` also honours the older `work_in_progress`.
 */
export class GitLabApi implements ScmApi {
  readonly #http: ScmHttpOptions;

  constructor(options: ScmApiOptions) {
    this.#http = httpOptions(options, { scmName: SCM, baseUrl: GITLAB_API_BASE_URL }, (token) => ({
      Accept: "application/json",
      "User-Agent": "runnerplane-runner",
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    }));
  }

  async getAuthenticatedUser(): Promise<{ login: string }> {
    const { body } = await getJson(this.#http, "/user", "the authenticated user");
    return { login: str(asRecord(body, SCM).username) };
  }

  async getRepository(owner: string, repo: string): Promise<ScmRepository> {
    const { body } = await getJson(this.#http, projectPath(owner, repo), `project "${owner}/${repo}"`);
    const p = asRecord(body, SCM);
    return {
      defaultBranch: str(p.default_branch),
      cloneUrl: str(p.http_url_to_repo),
      private: p.visibility !== "public",
    };
  }

  async getPullRequest(owner: string, repo: string, id: number): Promise<ScmPullRequest> {
    const what = `merge request !${checkId(id, "merge request")} of "${owner}/${repo}"`;
    const { body } = await readInRepository(
      SCM,
      what,
      () => getJson(this.#http, `${projectPath(owner, repo)}/merge_requests/${id}`, what),
      () => this.getRepository(owner, repo),
    );
    const mr = asRecord(body, SCM);
    return {
      title: str(mr.title),
      fromBranch: str(mr.source_branch),
      toBranch: str(mr.target_branch),
      author: str(sub(mr, "author").username),
      state: mr.state === "opened" ? "open" : mr.state === "merged" ? "merged" : "closed",
      draft: bool(mr.draft) || bool(mr.work_in_progress),
      headSha: str(mr.sha),
      url: str(mr.web_url),
    };
  }

  async getIssue(owner: string, repo: string, id: number): Promise<ScmIssue> {
    const what = `issue #${checkId(id, "issue")} of "${owner}/${repo}"`;
    const { body } = await readInRepository(
      SCM,
      what,
      () => getJson(this.#http, `${projectPath(owner, repo)}/issues/${id}`, what),
      () => this.getRepository(owner, repo),
    );
    return { title: str(asRecord(body, SCM).title) };
  }

  checkRepositoryAccess(owner: string, repo: string): Promise<ScmRepositoryAccess> {
    return repositoryAccess(() => this.getRepository(owner, repo));
  }

  async searchRepositories(query: string, page: ScmPageRequest): Promise<ScmRepositoryPage> {
    const number = pageNumber(page.token);
    const q = query.trim();
    if (q === "" && !this.#http.hasToken) {
      throw new ScmApiError(
        "unauthenticated",
        `${SCM} requires authentication to list your projects: authenticate first`,
      );
    }
    const params = new URLSearchParams({
      ...(this.#http.hasToken ? { membership: "true" } : {}),
      simple: "true",
      order_by: "last_activity_at",
      ...(q === "" ? {} : { search: q, search_namespaces: "true" }),
      per_page: String(pageSize(page.size)),
      page: String(number),
    });
    const response = await getJson(this.#http, `/projects?${params}`, "project search");
    const nextToken = nextPage(response.headers);
    const totalPages = Number(response.headers.get("x-total-pages") ?? "");
    return {
      repositories: asArray(response.body, SCM)
        .filter(isRecord)
        .map((p): ScmRepositoryHit => ({ name: str(p.path_with_namespace), url: str(p.web_url) })),
      nextToken,
      lastPage: Number.isSafeInteger(totalPages) && totalPages > 0 ? totalPages : nextToken === "" ? number : 0,
    };
  }

  async listOrganizations(query: string, page: ScmPageRequest): Promise<ScmOrganizationPage> {
    if (!this.#http.hasToken) {
      throw new ScmApiError("unauthenticated", `${SCM} requires authentication to list groups: authenticate first`);
    }
    const q = query.trim();
    const params = new URLSearchParams({
      min_access_level: ANY_MEMBERSHIP,
      order_by: "name",
      ...(q === "" ? {} : { search: q }),
      per_page: String(pageSize(page.size)),
      page: String(pageNumber(page.token)),
    });
    const response = await getJson(this.#http, `/groups?${params}`, "groups");
    return {
      organizations: asArray(response.body, SCM)
        .filter(isRecord)
        .map((g): ScmOrganization => ({ name: str(g.full_path), url: str(g.web_url), isAdmin: false })),
      nextToken: nextPage(response.headers),
    };
  }
}

function projectPath(owner: string, repo: string): string {
  return `/projects/${encodeURIComponent(`${owner}/${repo}`)}`;
}

/** `X-Next-Page` when it is a page number (it is empty on the last page). */
function nextPage(headers: Headers): string {
  const next = headers.get("x-next-page")?.trim() ?? "";
  return /^[1-9][0-9]*$/.test(next) ? next : "";
}
