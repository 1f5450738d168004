/**
 * The runner's view of an SCM's REST API: one `ScmApi` implementation per SCM (GitHub in
 * `github-api.ts`, GitLab in `gitlab-api.ts`), created per call with the caller's host token.
 * The runner uses it to answer ParseContextURL (what the URL does not say: default branch,
 * PR branches and title), CheckRepositoryAccess, SearchRepositories and ListSCMOrganizations
 * (behaviour.md §8).
 *
 * Errors are always `ScmApiError`, whose `kind` the runner maps to a Connect code:
 *
 * | kind                | when                                                    | Connect code        |
 * | ------------------- | ------------------------------------------------------- | ------------------- |
 * | `not_found`         | 404 with a token                                        | `not_found`         |
 * | `unauthenticated`   | 401; or 404 **without** a token (see below)             | `failed_precondition` / `unauthenticated` (ask the user to authenticate) |
 * | `permission_denied` | 403 (other than rate limiting)                          | `permission_denied` |
 * | `invalid_argument`  | a malformed page token or id; the SCM answers 400 / 422 | `invalid_argument`  |
 * | `unavailable`       | 5xx, 429, rate limit, network failure, timeout, garbage | `unavailable`       |
 *
 * SCMs answer 404 for a private repository the caller cannot see, so as not to reveal that
 * it exists. Without a token the runner cannot tell "missing" from "private", so a 404
 * without a token is `unauthenticated`: the runner then asks the user to authenticate,
 * which is the only way to find out. With a token, a 404 is `not_found`. For a pull
 * request or issue answered with 404 without a token, the implementations ask for the
 * repository once more: if it is readable, the pull request or issue really is missing
 * (`not_found`).
 *
 * `invalid_argument` is a fifth kind beyond not_found/permission_denied/unauthenticated/
 * unavailable: a bad page token or a search query the SCM rejects is the caller's mistake,
 * neither retryable nor an authorization problem.
 */

/** What went wrong, independent of the SCM. See the table above. */
export type ScmApiErrorKind =
  | "not_found"
  | "permission_denied"
  | "unauthenticated"
  | "invalid_argument"
  | "unavailable";

/**
 * A failed SCM API call. `message` is meant for the user (it names the SCM and the
 * resource, and carries the SCM's own explanation when it gave one); `status` is the
 * HTTP status when there was a response.
 */
export class ScmApiError extends Error {
  override readonly name = "ScmApiError";
  constructor(
    readonly kind: ScmApiErrorKind,
    message: string,
    readonly status: number | undefined = undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Whether `error` is an `ScmApiError`, optionally of the given kind. */
export function isScmApiError(error: unknown, kind?: ScmApiErrorKind): error is ScmApiError {
  return error instanceof ScmApiError && (kind === undefined || error.kind === kind);
}

/** A repository, as ParseContextURL needs it. */
export interface ScmRepository {
  /** The default branch; `""` for an empty GitLab project, which has none yet. */
  defaultBranch: string;
  /** HTTPS clone URL. */
  cloneUrl: string;
  /** Whether it is not public (GitLab `internal` projects count as private). */
  private: boolean;
}

/** A pull request (GitHub) or merge request (GitLab). */
export interface ScmPullRequest {
  title: string;
  /** The source (head) branch. For a pull request from a fork it lives in the fork. */
  fromBranch: string;
  /** The target (base) branch. */
  toBranch: string;
  /** The author's login / username. */
  author: string;
  state: "open" | "closed" | "merged";
  draft: boolean;
  /** The commit the source branch points at. */
  headSha: string;
  /** Web URL of the pull / merge request. */
  url: string;
}

export interface ScmIssue {
  title: string;
}

/** CheckRepositoryAccessResponse: `errorMessage` says why when `hasAccess` is false. */
export interface ScmRepositoryAccess {
  hasAccess: boolean;
  errorMessage: string;
}

/**
 * A page request. `size` 0 (or less) means the default, 25; more than 100 is capped at 100
 * (PaginationRequest allows 0–100). `token` is `""` for the first page, else a `nextToken`
 * from the previous page of the same query. Tokens are opaque to callers (today: the SCM's
 * page number as a decimal string); a malformed one is `invalid_argument`.
 */
export interface ScmPageRequest {
  size: number;
  token: string;
}

/** SearchRepositoriesResponse.Repository. */
export interface ScmRepositoryHit {
  /** `owner/name` (GitLab: the full path, `group/subgroup/name`). */
  name: string;
  /** Web URL. */
  url: string;
}

export interface ScmRepositoryPage {
  repositories: ScmRepositoryHit[];
  /** `""` on the last page. */
  nextToken: string;
  /** Number (1-based) of the last page when the SCM tells it, else 0. */
  lastPage: number;
}

/** ListSCMOrganizationsResponse.SCMOrganization. */
export interface ScmOrganization {
  /** GitHub: the organization login. GitLab: the group's full path. */
  name: string;
  /** Web URL. */
  url: string;
  /** Whether the caller administers it (GitHub: role admin; GitLab: always false, see gitlab-api.ts). */
  isAdmin: boolean;
}

export interface ScmOrganizationPage {
  organizations: ScmOrganization[];
  /** `""` on the last page. */
  nextToken: string;
}

/**
 * How SearchRepositories interprets its search string (SearchMode): `keyword` (the
 * default) searches repository names; `native` passes it to the SCM's own search syntax.
 */
export type ScmSearchMode = "keyword" | "native";

/** One SCM's REST API, seen with one caller's token. */
export interface ScmApi {
  /** The account the token belongs to (its login / username): needs a token. */
  getAuthenticatedUser(): Promise<{ login: string }>;
  /**
   * A repository. `owner` is the user or organization (GitLab: the namespace path,
   * possibly nested, `group/subgroup`), `repo` its name.
   */
  getRepository(owner: string, repo: string): Promise<ScmRepository>;
  /** Pull request (GitHub) / merge request (GitLab) number `id` (GitLab: the project-local iid). */
  getPullRequest(owner: string, repo: string, id: number): Promise<ScmPullRequest>;
  /** Issue number `id` (GitLab: the project-local iid). */
  getIssue(owner: string, repo: string, id: number): Promise<ScmIssue>;
  /**
   * Whether the caller can read the repository. Not found, not allowed and not
   * authenticated are answers (`hasAccess: false` with a message saying what to do), not
   * errors; only `unavailable` (and `invalid_argument`) are thrown, so that an SCM outage
   * is not reported as "no access".
   */
  checkRepositoryAccess(owner: string, repo: string): Promise<ScmRepositoryAccess>;
  /**
   * Repositories matching `query`, one page at a time. An empty query lists the caller's
   * own repositories (needs a token).
   */
  searchRepositories(query: string, page: ScmPageRequest, mode?: ScmSearchMode): Promise<ScmRepositoryPage>;
  /**
   * The organizations (GitLab: groups) the caller belongs to whose name contains `query`
   * (case-insensitive; `""` = all). Needs a token: without one, `unauthenticated`.
   */
  listOrganizations(query: string, page: ScmPageRequest): Promise<ScmOrganizationPage>;
}

/** What every implementation is created with. */
export interface ScmApiOptions {
  /**
   * REST API root without a trailing slash, e.g. `https://api.github.com`,
   * `https://ghe.example.com/api/v3`, `https://gitlab.com/api/v4`. Defaults to the SCM's
   * public service. Tests point it at the fake SCM server.
   */
  apiBaseUrl?: string | undefined;
  /** The caller's host token (OAuth or PAT), or undefined / `""` when they have none. */
  token: string | undefined;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch | undefined;
  /** Per-request timeout in milliseconds (default 10 000); a timeout is `unavailable`. */
  timeoutMs?: number | undefined;
}

/**
 * The REST API root for an SCM host: the configured one (`overrides`, keyed by lowercase
 * host) if any; else GitHub Enterprise and self-managed GitLab serve their APIs on their own
 * host (`/api/v3`, `/api/v4`); undefined means the SCM's public service (the default).
 */
export function apiBaseUrlFor(scmId: string, host: string, overrides: Record<string, string>): string | undefined {
  const h = host.toLowerCase();
  if (overrides[h] !== undefined) return overrides[h];
  if (scmId === "github" && h !== "github.com") return `https://${h}/api/v3`;
  if (scmId === "gitlab" && h !== "gitlab.com") return `https://${h}/api/v4`;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Shared by the implementations; not part of the interface.

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
const DEFAULT_TIMEOUT_MS = 10_000;

/** `size` as a per-page count for the SCM: 1–100, 0 or less → 25. */
export function pageSize(size: number): number {
  if (!Number.isFinite(size) || size <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.floor(size), MAX_PAGE_SIZE) || 1;
}

/** The page number a token stands for: `""` → 1. */
export function pageNumber(token: string): number {
  if (token === "") return 1;
  if (!/^[1-9][0-9]{0,8}$/.test(token)) throw new ScmApiError("invalid_argument", "invalid page token");
  return Number(token);
}

/** A positive integer id (pull request, issue), or `invalid_argument`. */
export function checkId(id: number, what: string): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new ScmApiError("invalid_argument", `invalid ${what} number: ${id}`);
  return id;
}

/**
 * Turns an exception into the CheckRepositoryAccess answer: a definite "no" becomes
 * `hasAccess: false`; `unavailable` and `invalid_argument` are rethrown.
 */
export async function repositoryAccess(read: () => Promise<unknown>): Promise<ScmRepositoryAccess> {
  try {
    await read();
    return { hasAccess: true, errorMessage: "" };
  } catch (error) {
    if (isScmApiError(error) && error.kind !== "unavailable" && error.kind !== "invalid_argument") {
      return { hasAccess: false, errorMessage: error.message };
    }
    throw error;
  }
}

/**
 * Reads something that lives in a repository (pull request, issue). A 404 without a token
 * cannot tell "missing" from "private", so the repository is read once more (`probe`): if
 * that fails, its error (typically `unauthenticated`) is the answer; if it succeeds, the
 * thing really is missing (`not_found`).
 */
export async function readInRepository<T>(
  scmName: string,
  what: string,
  read: () => Promise<T>,
  probe: () => Promise<unknown>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isScmApiError(error, "unauthenticated") || error.status !== 404) throw error;
    await probe();
    throw new ScmApiError("not_found", `${scmName} ${what} was not found`, 404);
  }
}

/** A successful JSON answer. */
export interface ScmResponse {
  body: unknown;
  headers: Headers;
}

/** How one SCM talks HTTP: its name for messages, its headers, its error reading. */
export interface ScmHttpOptions {
  /** "GitHub", "GitLab": used in messages. */
  scmName: string;
  baseUrl: string;
  headers: Record<string, string>;
  hasToken: boolean;
  fetch: typeof fetch;
  timeoutMs: number;
  /**
   * Classifies a non-2xx answer the generic rules do not cover (e.g. GitHub's 403 rate
   * limit); undefined = use the generic rules.
   */
  classify?: (response: Response) => ScmApiErrorKind | undefined;
}

/** The options every implementation derives from `ScmApiOptions`. */
export function httpOptions(
  options: ScmApiOptions,
  defaults: { scmName: string; baseUrl: string },
  headers: (token: string | undefined) => Record<string, string>,
): Omit<ScmHttpOptions, "classify"> {
  const token = options.token === "" ? undefined : options.token;
  return {
    scmName: defaults.scmName,
    baseUrl: (options.apiBaseUrl ?? defaults.baseUrl).replace(/\/+$/, ""),
    headers: headers(token),
    hasToken: token !== undefined,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/**
 * GET `path` (below the base URL, with its query string) and parse the JSON answer.
 * `what` names the resource for error messages (`repository "acme/widgets"`).
 */
export async function getJson(http: ScmHttpOptions, path: string, what: string): Promise<ScmResponse> {
  const url = http.baseUrl + path;
  let response: Response;
  try {
    response = await http.fetch(url, { headers: http.headers, signal: AbortSignal.timeout(http.timeoutMs) });
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "failed";
    throw new ScmApiError(
      "unavailable",
      `${http.scmName} API at ${http.baseUrl} is unreachable (request ${reason})`,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) throw await responseError(http, response, what);
  try {
    return { body: await response.json(), headers: response.headers };
  } catch (error) {
    throw new ScmApiError(
      "unavailable",
      `${http.scmName} API answered with something other than JSON`,
      response.status,
      {
        cause: error,
      },
    );
  }
}

async function responseError(http: ScmHttpOptions, response: Response, what: string): Promise<ScmApiError> {
  const status = response.status;
  const scm = http.scmName;
  const explanation = await scmMessage(response);
  const kind = http.classify?.(response) ?? genericKind(status, http.hasToken);
  let message: string;
  switch (kind) {
    case "not_found":
      message = `${scm} ${what} was not found`;
      break;
    case "unauthenticated":
      message =
        status === 401 && http.hasToken
          ? `${scm} rejected the access token (expired or revoked?): authenticate with ${scm} again`
          : status === 404
            ? `${scm} ${what} was not found, or is private: authenticate with ${scm} to access it`
            : `${scm} requires authentication: authenticate with ${scm} first`;
      break;
    case "permission_denied":
      message = `${scm} denied access to ${what}`;
      break;
    case "invalid_argument":
      message = `${scm} rejected the request for ${what}`;
      break;
    case "unavailable":
      message =
        status === 429 || status === 403
          ? `${scm} API rate limit exceeded: try again later`
          : `${scm} API is unavailable (HTTP ${status}): try again later`;
      break;
  }
  if (explanation !== "" && kind !== "not_found" && kind !== "unavailable") message += ` (${scm} says: ${explanation})`;
  return new ScmApiError(kind, message, status);
}

function genericKind(status: number, hasToken: boolean): ScmApiErrorKind {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "permission_denied";
  if (status === 404) return hasToken ? "not_found" : "unauthenticated";
  if (status === 400 || status === 422) return "invalid_argument";
  // 5xx, 429, and anything else unexpected (3xx left unfollowed, 409, 410, …).
  return "unavailable";
}

/** The `message` an SCM put in an error body, shortened; `""` when there is none. */
async function scmMessage(response: Response): Promise<string> {
  try {
    const body: unknown = await response.json();
    const message = isRecord(body) ? body.message : undefined;
    if (typeof message !== "string") return "";
    return message.length > 200 ? `${message.slice(0, 200)}…` : message;
  } catch {
    return "";
  }
}

/**
 * The value of `name` in an RFC 8288 `Link` header's `rel="next"` (or other `rel`)
 * target's query string, e.g. the `page` of the next page; `""` if absent.
 */
export function linkParam(link: string | null, rel: string, name: string): string {
  if (link === null) return "";
  for (const part of link.split(",")) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match === null) continue;
    const rels = /rel="?([^";]*)"?/.exec(match[2] ?? "")?.[1]?.split(/\s+/) ?? [];
    if (!rels.includes(rel)) continue;
    try {
      return new URL(match[1] ?? "", "http://link.invalid").searchParams.get(name) ?? "";
    } catch {
      return "";
    }
  }
  return "";
}

// Lenient readers of JSON answers: a missing or mistyped field reads as "" / false / 0,
// a body of the wrong shape altogether is `unavailable`.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown, scmName: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ScmApiError("unavailable", `${scmName} API answered with an unexpected shape`);
  return value;
}

export function asArray(value: unknown, scmName: string): unknown[] {
  if (!Array.isArray(value)) throw new ScmApiError("unavailable", `${scmName} API answered with an unexpected shape`);
  return value;
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function bool(value: unknown): boolean {
  return value === true;
}

/** `record[key]` if that is an object, else `{}`. */
export function sub(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = record[key];
  return isRecord(value) ? value : {};
}
