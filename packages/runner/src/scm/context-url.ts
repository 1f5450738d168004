/**
 * Offline parsing of context URLs for ParseContextURL (behaviour.md §8): what a GitHub,
 * GitLab, Bitbucket or Azure DevOps web URL, or a plain git clone URL, says on its own —
 * SCM, host, repository, and the branch, commit, tag, path, pull request or issue it points
 * at — and what is still missing, for the caller to ask the SCM's REST API. No network.
 *
 * Rules (each one pinned by context-url.test.ts):
 *
 * - Input: `https://` and `http://` web or clone URLs, `ssh://` (also `git+ssh://`,
 *   `ssh+git://`), `git://`, and scp-like `user@host:path` (or `host.tld:path`). Anything
 *   else throws a {@link ContextUrlError} (`not_a_url`, `unsupported_scheme`), as does a URL
 *   naming no repository (`no_repository`) or a broken one (`malformed_path`: bad percent
 *   encoding, a commit URL whose commit is not a SHA). The caller maps every reason to
 *   `invalid_argument`.
 * - SCM by host: the given known hosts first, then github.com, gitlab.com, bitbucket.org,
 *   dev.azure.com (plus `<org>.visualstudio.com`, `ssh.dev.azure.com`,
 *   `vs-ssh.visualstudio.com`). Hosts compare case-insensitively. An http(s) URL matches an
 *   entry on host *and* port (`git.example.com:8443` is not `git.example.com`; 443 counts as
 *   no port); an SSH URL matches on the host name alone — its port is the SSH port, and the
 *   web host (the entry's, port included) is what `host` and `cloneUrl` use.
 * - `host` is the web host: lower-case host name plus a non-default port. `cloneUrl` of a
 *   known SCM is always the canonical HTTPS (or the URL's http) clone URL — never SSH, since
 *   the runner clones with the caller's host token: `https://host/o/r.git` (GitHub,
 *   Bitbucket), `https://host/g/sub/r.git` (GitLab), `https://host/org/project/_git/repo`
 *   (Azure DevOps; `<org>.visualstudio.com` URLs are rewritten to dev.azure.com).
 * - Unknown hosts: `scmId` "" and a generic git repository — `repo` is the last path segment
 *   without `.git`, `owner` the segments before it — with `cloneUrl` the URL as given, minus
 *   credentials, query and fragment (an SSH URL keeps its user name).
 * - Path segments are percent-decoded one by one, so `tree/feature%2Fx` is the branch
 *   `feature/x`. A `.git` suffix on the repository segment is dropped.
 * - Branch names may contain slashes, so `/tree/a/b/c` (GitHub, GitLab) and `/blob/…`,
 *   Bitbucket `/src/…` cannot be split into ref and path offline. The offline choice:
 *     tree — the whole rest is the branch (`tree/feature/x` → `feature/x`), except when it
 *       starts with `main` or `master`: then that is the branch and the rest a directory
 *       (git cannot hold a branch `main` next to `main/x`, and these names are almost always
 *       the default branch);
 *     blob, src — the first segment is the ref, the rest the path (a file URL nearly always
 *       has a path, and usually a one-segment ref).
 *   Whenever another split is possible, `refCandidates` lists every split (shortest ref
 *   first) and `missing` holds `ref_split`: the caller asks the API which ref exists (git
 *   allows at most one of the candidate refs as a branch) and passes the answer as
 *   {@link ContextEnrichment.ref}. A first segment that is a full SHA (40 or 64 hex digits)
 *   is a commit and never ambiguous. Bitbucket's `?at=<branch>` and GitLab's
 *   `?ref_type=tags|heads` settle the split too.
 * - Unknown sub-pages (`/actions`, `/-/wikis`, `/issues/new`, `/pull/new/x`, …) are the
 *   repository.
 * - `kind` is `file` whenever the URL names a path (a file, or a directory of a tree/src URL);
 *   `branch`, `commit` or `tag` then says at which ref.
 * - `missing` / `needsApi`: a repository URL lacks the default branch, an issue URL the
 *   default branch and the issue title, a pull-request URL the PR's branches, title, author
 *   and state, an ambiguous ref the split. `needsApi` is `missing` non-empty on a known SCM;
 *   for unknown hosts there is no API (`git ls-remote --symref` finds the default branch).
 */
import { type PullRequest, PullRequest_State } from "@runnerplane/client/gitpod/v1/agent_pb";
import type { ParseContextURLResponse } from "@runnerplane/client/gitpod/v1/runner_pb";

/** The SCMs the reference runner knows, by the ids of its configuration schema. */
export type ScmId = "github" | "gitlab" | "bitbucket" | "azuredevops";

/** A host (with an optional `:port`) served by an SCM, e.g. a self-hosted GitLab. */
export interface KnownHost {
  host: string;
  scmId: ScmId;
}

/** The public hosts of the four SCMs, known without configuration. */
export const defaultKnownHosts: readonly KnownHost[] = [
  { host: "github.com", scmId: "github" },
  { host: "gitlab.com", scmId: "gitlab" },
  { host: "bitbucket.org", scmId: "bitbucket" },
  { host: "dev.azure.com", scmId: "azuredevops" },
];

/** What a context URL points at. `file`: a path (file or directory) at a ref. */
export type ContextKind = "repository" | "branch" | "commit" | "tag" | "pull_request" | "issue" | "file";

/** What the URL does not say and only the SCM can tell. */
export type MissingFact =
  /** The repository's default branch (repository and issue URLs). */
  | "default_branch"
  /** The pull request's branches, title, author, state, head commit. */
  | "pull_request"
  /** The issue's title. */
  | "issue"
  /** Which of `refCandidates` is the ref (the rest being the path). */
  | "ref_split";

/** One way to split `<ref>/<path>` of a tree, blob or src URL. */
export interface RefCandidate {
  ref: string;
  /** "" when the whole rest is the ref. */
  path: string;
}

/** What a context URL says on its own. Optional fields are absent, never undefined. */
export interface ParsedContext {
  /** The URL as given (trimmed). */
  originalUrl: string;
  /** "" for an unknown host (a generic git repository). */
  scmId: ScmId | "";
  /** Web host: lower-case host name plus a non-default port, e.g. `git.example.com:8443`. */
  host: string;
  /**
   * GitHub: user or organization; GitLab: the group path (`g/sub`); Bitbucket: workspace;
   * Azure DevOps: `<organization>/<project>` (`<collection>/<project>` on a server).
   */
  owner: string;
  /** Repository name, without `.git`. */
  repo: string;
  /** URL to clone from (see the module comment). */
  cloneUrl: string;
  /** Web URL of the repository; "" for an unknown host. */
  webUrl: string;
  kind: ContextKind;
  branch?: string;
  /** Lower-case commit SHA. */
  commit?: string;
  tag?: string;
  /** Path inside the repository, without leading or trailing slash. */
  path?: string;
  /** Pull request (GitLab: merge request) number. */
  pullRequestId?: string;
  issueId?: string;
  /** Every possible ref/path split when the URL's is ambiguous, shortest ref first. */
  refCandidates?: RefCandidate[];
  missing: MissingFact[];
  /** True when a known SCM's API must fill in `missing`. */
  needsApi: boolean;
}

export type ContextUrlErrorReason = "not_a_url" | "unsupported_scheme" | "no_repository" | "malformed_path";

/** A context URL the runner cannot use; the caller answers `invalid_argument` with the message. */
export class ContextUrlError extends Error {
  override readonly name = "ContextUrlError";
  readonly reason: ContextUrlErrorReason;

  constructor(reason: ContextUrlErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Parses a context URL without network access. Throws {@link ContextUrlError}.
 *
 * @param knownHosts hosts of the runner's SCM integrations (self-hosted ones included); they
 *   take precedence over {@link defaultKnownHosts}.
 */
export function parseContextUrl(url: string, knownHosts: readonly KnownHost[] = []): ParsedContext {
  const originalUrl = url.trim();
  const location = locate(originalUrl);
  const scm = identify(location, [...knownHosts, ...defaultKnownHosts]);
  if (scm === undefined) return generic(originalUrl, location);
  const site: Site = { ...scm, base: `${scm.scheme}://${scm.host}`, location, originalUrl };
  switch (scm.scmId) {
    case "github":
      return github(site);
    case "gitlab":
      return gitlab(site);
    case "bitbucket":
      return bitbucket(site);
    case "azuredevops":
      return azureDevOps(site);
  }
}

/** What the SCM's API said, to fill in what the URL does not. Undefined means "not known". */
export interface ContextEnrichment {
  /** The repository's default branch: the branch when the URL (and `ref`) name no ref. */
  defaultBranch?: string | undefined;
  /** The resolved ref of an ambiguous URL (one of `refCandidates`); replaces the offline choice. */
  ref?: { branch?: string | undefined; tag?: string | undefined; commit?: string | undefined } | undefined;
  pullRequest?: PullRequestFacts | undefined;
  issueTitle?: string | undefined;
}

/** A pull request as the SCM's API reports it. */
export interface PullRequestFacts {
  title?: string | undefined;
  /** Head branch: the branch the environment checks out. */
  fromBranch?: string | undefined;
  /** Base branch. */
  toBranch?: string | undefined;
  author?: string | undefined;
  /** The enum, or the SCM's word for it (as `ScmPullRequest.state` of scm-api.ts has it). */
  state?: PullRequest_State | "open" | "closed" | "merged" | undefined;
  draft?: boolean | undefined;
  headSha?: string | undefined;
  /** Clone URL of the repository holding `fromBranch`, when the PR comes from a fork. */
  headCloneUrl?: string | undefined;
  /** Web URL of the PR; default {@link pullRequestUrl}. */
  url?: string | undefined;
}

/**
 * The ParseContextURL answer for a parsed URL and what the API added. Returns a complete
 * `gitpod.v1.ParseContextURLResponse` message (plain object with `$typeName`, as protobuf-es
 * v2 `create` would build it), usable as is or as an init shape.
 *
 * - `git.branch`: the resolved or named branch; a pull request's head branch; else, when no
 *   ref is named at all, the default branch. `git.commit` is a named commit only (a PR's head
 *   commit goes to `pull_request.head_sha`, so the environment follows the branch).
 * - A pull request from a fork: `git.clone_url` is the fork, `git.upstream_remote_url` the
 *   repository of the URL; `git.host/owner/repo` and `pull_request.repository` stay the URL's.
 * - `pr` (deprecated) mirrors `pull_request`'s id, title and branches.
 */
export function toParseContextUrlResponse(
  parsed: ParsedContext,
  enrichment: ContextEnrichment = {},
): ParseContextURLResponse {
  const ref = enrichment.ref ?? { branch: parsed.branch, tag: parsed.tag, commit: parsed.commit };
  const isPullRequest = parsed.pullRequestId !== undefined;
  const facts = enrichment.pullRequest ?? {};
  const fork = isPullRequest && facts.headCloneUrl && facts.headCloneUrl !== parsed.cloneUrl ? facts.headCloneUrl : "";

  const namesRef = ref.branch !== undefined || ref.tag !== undefined || ref.commit !== undefined;
  const branch = isPullRequest ? (facts.fromBranch ?? "") : (ref.branch ?? (namesRef ? "" : enrichment.defaultBranch));

  const response: ParseContextURLResponse = {
    $typeName: "gitpod.v1.ParseContextURLResponse",
    originalContextUrl: parsed.originalUrl,
    git: {
      $typeName: "gitpod.v1.ParseContextURLResponse.GitContext",
      cloneUrl: fork || parsed.cloneUrl,
      branch: branch ?? "",
      commit: isPullRequest ? "" : (ref.commit ?? ""),
      host: parsed.host,
      owner: parsed.owner,
      repo: parsed.repo,
      upstreamRemoteUrl: fork ? parsed.cloneUrl : "",
      tag: isPullRequest ? "" : (ref.tag ?? ""),
    },
    projectIds: [],
    scmId: parsed.scmId,
    recommendedEnvironmentClasses: [],
  };
  if (parsed.pullRequestId !== undefined) {
    const pullRequest: PullRequest = {
      $typeName: "gitpod.v1.PullRequest",
      id: parsed.pullRequestId,
      title: facts.title ?? "",
      fromBranch: facts.fromBranch ?? "",
      toBranch: facts.toBranch ?? "",
      url: facts.url ?? pullRequestUrl(parsed),
      author: facts.author ?? "",
      repository: {
        $typeName: "gitpod.v1.PullRequest.Repository",
        cloneUrl: parsed.cloneUrl,
        host: parsed.host,
        owner: parsed.owner,
        name: parsed.repo,
      },
      draft: facts.draft ?? false,
      state: pullRequestState(facts.state),
      headSha: facts.headSha ?? "",
    };
    response.pullRequest = pullRequest;
    response.pr = {
      $typeName: "gitpod.v1.ParseContextURLResponse.PullRequest",
      id: pullRequest.id,
      title: pullRequest.title,
      fromBranch: pullRequest.fromBranch,
      toBranch: pullRequest.toBranch,
    };
  }
  if (parsed.issueId !== undefined) {
    response.issue = {
      $typeName: "gitpod.v1.ParseContextURLResponse.Issue",
      id: parsed.issueId,
      title: enrichment.issueTitle ?? "",
    };
  }
  return response;
}

const pullRequestStates = {
  open: PullRequest_State.OPEN,
  closed: PullRequest_State.CLOSED,
  merged: PullRequest_State.MERGED,
} as const;

function pullRequestState(state: PullRequestFacts["state"]): PullRequest_State {
  if (state === undefined) return PullRequest_State.UNSPECIFIED;
  return typeof state === "string" ? pullRequestStates[state] : state;
}

/** The SCM's web URL of the parsed pull request; "" when the URL names none. */
export function pullRequestUrl(parsed: ParsedContext): string {
  const id = parsed.pullRequestId;
  if (id === undefined || parsed.webUrl === "") return "";
  switch (parsed.scmId) {
    case "github":
      return `${parsed.webUrl}/pull/${id}`;
    case "gitlab":
      return `${parsed.webUrl}/-/merge_requests/${id}`;
    case "bitbucket":
      return `${parsed.webUrl}/pull-requests/${id}`;
    case "azuredevops":
      return `${parsed.webUrl}/pullrequest/${id}`;
    case "":
      return "";
  }
}

// ---------------------------------------------------------------------------------------
// Reading the URL

type Transport = "web" | "ssh";

interface Location {
  transport: Transport;
  /** `https` or `http` for web URLs. */
  scheme: string;
  /** Lower case, no port. */
  hostname: string;
  /** "" when absent or the scheme's default. */
  port: string;
  /** Decoded, non-empty path segments. */
  segments: string[];
  query: URLSearchParams;
  /** The URL as given minus credentials (an SSH user name stays), query and fragment. */
  sanitized: string;
}

const webSchemes = new Set(["https:", "http:"]);
const sshSchemes = new Set(["ssh:", "git+ssh:", "ssh+git:", "git:"]);
/** `[user@]host:path` — scp-like SSH, as git reads it (no `://`). */
const scpLike = /^(?:([^@/\s:]+)@)?(\[[0-9a-fA-F:.]+\]|[^:/\s@[\]]+):(?!\/\/)(\S*)$/;

function locate(input: string): Location {
  if (input === "") throw new ContextUrlError("not_a_url", "the context URL is empty");
  const scp = input.includes("://") ? null : scpLike.exec(input);
  if (scp) {
    const [, user, host = "", path = ""] = scp;
    if (user !== undefined || host.includes(".") || host.toLowerCase() === "localhost") {
      return {
        transport: "ssh",
        scheme: "ssh",
        hostname: host.toLowerCase(),
        port: "",
        segments: path.split("/").filter((s) => s !== ""),
        query: new URLSearchParams(),
        sanitized: input,
      };
    }
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ContextUrlError(
      "not_a_url",
      "the context URL is not a URL; expected e.g. https://github.com/<owner>/<repo> or git@host:<owner>/<repo>.git",
    );
  }
  const web = webSchemes.has(url.protocol);
  if (!web && !sshSchemes.has(url.protocol)) {
    throw new ContextUrlError(
      "unsupported_scheme",
      `the context URL's scheme "${url.protocol.slice(0, -1)}" is not supported; use https, http, ssh or git`,
    );
  }
  // Special schemes lower-case their host; ssh/git ones keep it as given.
  const hostname = url.hostname.toLowerCase();
  if (hostname === "") throw new ContextUrlError("not_a_url", "the context URL has no host");
  const segments = url.pathname
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new ContextUrlError("malformed_path", `the context URL's path has a malformed percent-encoding: "${s}"`);
      }
    });
  const host = url.host.toLowerCase();
  const user = !web && url.username !== "" ? `${url.username}@` : "";
  return {
    transport: web ? "web" : "ssh",
    scheme: url.protocol.slice(0, -1),
    hostname,
    port: url.port,
    segments,
    query: url.searchParams,
    sanitized: `${url.protocol}//${user}${host}${url.pathname}`,
  };
}

interface Scm {
  scmId: ScmId;
  /** Web host, `name[:port]`. */
  host: string;
  /** Web scheme. */
  scheme: string;
  /** The organization of a `<org>.visualstudio.com` URL. */
  visualStudioOrg?: string;
}

interface NormalizedHost {
  hostname: string;
  port: string;
  host: string;
  scmId: ScmId;
}

function normalizeKnownHost(entry: KnownHost): NormalizedHost {
  let host = entry.host.trim().toLowerCase();
  host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/[/?#].*$/, "");
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  const hostname = match?.[1] ?? host;
  const port = match?.[2] === "443" ? "" : (match?.[2] ?? "");
  return { hostname, port, host: port ? `${hostname}:${port}` : hostname, scmId: entry.scmId };
}

function identify(location: Location, knownHosts: readonly KnownHost[]): Scm | undefined {
  const entries = knownHosts.map(normalizeKnownHost);
  const { hostname, port, transport } = location;
  if (transport === "web") {
    const entry = entries.find((e) => e.hostname === hostname && e.port === port);
    if (entry) return { scmId: entry.scmId, host: entry.host, scheme: location.scheme };
    const legacyAzure = /^([a-z0-9][a-z0-9-]*)\.visualstudio\.com$/.exec(hostname);
    if (legacyAzure?.[1] && legacyAzure[1] !== "vs-ssh" && port === "") {
      return { scmId: "azuredevops", host: "dev.azure.com", scheme: "https", visualStudioOrg: legacyAzure[1] };
    }
    return undefined;
  }
  if (hostname === "ssh.dev.azure.com" || hostname === "vs-ssh.visualstudio.com") {
    return { scmId: "azuredevops", host: "dev.azure.com", scheme: "https" };
  }
  const entry = entries.find((e) => e.hostname === hostname);
  return entry ? { scmId: entry.scmId, host: entry.host, scheme: "https" } : undefined;
}

// ---------------------------------------------------------------------------------------
// Building the result

interface Site extends Scm {
  /** `scheme://host`. */
  base: string;
  location: Location;
  originalUrl: string;
}

interface Repository {
  owner: string;
  repo: string;
  cloneUrl: string;
  webUrl: string;
}

/** The part of a ParsedContext that depends on the URL's sub-path. */
interface Target {
  kind: ContextKind;
  branch?: string;
  commit?: string;
  tag?: string;
  path?: string;
  pullRequestId?: string;
  issueId?: string;
  refCandidates?: RefCandidate[];
}

const repositoryTarget: Readonly<Target> = Object.freeze({ kind: "repository" });

function finish(site: Site, repository: Repository, target: Target): ParsedContext {
  const missing = missingFacts(target);
  return {
    originalUrl: site.originalUrl,
    scmId: site.scmId,
    host: site.host,
    ...repository,
    ...target,
    missing,
    needsApi: missing.length > 0,
  };
}

function missingFacts(target: Target): MissingFact[] {
  switch (target.kind) {
    case "repository":
      return ["default_branch"];
    case "issue":
      return ["default_branch", "issue"];
    case "pull_request":
      return ["pull_request"];
    default:
      return target.refCandidates ? ["ref_split"] : [];
  }
}

function generic(originalUrl: string, location: Location): ParsedContext {
  const { segments } = location;
  const repo = stripGit(segments.at(-1) ?? "");
  if (repo === "") {
    throw new ContextUrlError(
      "no_repository",
      "the context URL names no repository; expected e.g. https://host/<repo>.git",
    );
  }
  const webPort = location.transport === "web" && location.port ? `:${location.port}` : "";
  return {
    originalUrl,
    scmId: "",
    host: location.hostname + webPort,
    owner: segments.slice(0, -1).join("/"),
    repo,
    cloneUrl: location.sanitized,
    webUrl: "",
    kind: "repository",
    missing: ["default_branch"],
    needsApi: false,
  };
}

function noRepository(site: Site, shape: string): ContextUrlError {
  return new ContextUrlError("no_repository", `the context URL names no repository; expected ${site.base}/${shape}`);
}

// ---------------------------------------------------------------------------------------
// The four SCMs

function github(site: Site): ParsedContext {
  const [owner, name, marker, ...rest] = site.location.segments;
  const repo = stripGit(name ?? "");
  if (!owner || repo === "") throw noRepository(site, "<owner>/<repo>");
  const repository = ownerRepo(site, owner, repo);
  return finish(site, repository, githubTarget(marker, rest));
}

function githubTarget(marker: string | undefined, rest: string[]): Target {
  switch (marker) {
    case "tree":
      return rest.length > 0 ? refTarget(splitRef(rest, { prefer: "whole", minPath: 0 })) : repositoryTarget;
    case "blob":
      return rest.length > 0 ? refTarget(splitRef(rest, { prefer: "first", minPath: 1 })) : repositoryTarget;
    case "commit":
      return commitTarget(rest[0]);
    case "releases":
      return rest[0] === "tag" && rest.length > 1 ? { kind: "tag", tag: rest.slice(1).join("/") } : repositoryTarget;
    case "pull":
      return numberedTarget("pull_request", rest[0]);
    case "issues":
      return numberedTarget("issue", rest[0]);
    default:
      return repositoryTarget;
  }
}

function gitlab(site: Site): ParsedContext {
  const { segments, query } = site.location;
  const dash = segments.indexOf("-");
  const project = dash === -1 ? segments : segments.slice(0, dash);
  const repo = stripGit(project.at(-1) ?? "");
  if (project.length < 2 || repo === "") throw noRepository(site, "<group>/<project>");
  const group = project.slice(0, -1);
  const repository: Repository = {
    owner: group.join("/"),
    repo,
    cloneUrl: `${site.base}/${encodePath([...group, repo])}.git`,
    webUrl: `${site.base}/${encodePath([...group, repo])}`,
  };
  const [marker, ...rest] = dash === -1 ? [] : segments.slice(dash + 1);
  const refType = query.get("ref_type");
  let target: Target;
  switch (marker) {
    case "tree":
    case "blob":
      target =
        rest.length > 0
          ? refTarget(
              splitRef(rest, marker === "tree" ? { prefer: "whole", minPath: 0 } : { prefer: "first", minPath: 1 }),
              refType === "tags" ? "tag" : "branch",
            )
          : repositoryTarget;
      break;
    case "commit":
      target = commitTarget(rest[0]);
      break;
    case "tags":
      target = rest.length > 0 ? { kind: "tag", tag: rest.join("/") } : repositoryTarget;
      break;
    case "merge_requests":
      target = numberedTarget("pull_request", rest[0]);
      break;
    case "issues":
      target = numberedTarget("issue", rest[0]);
      break;
    default:
      target = repositoryTarget;
  }
  return finish(site, repository, target);
}

function bitbucket(site: Site): ParsedContext {
  const [workspace, name, marker, ...rest] = site.location.segments;
  const repo = stripGit(name ?? "");
  if (!workspace || repo === "") throw noRepository(site, "<workspace>/<repo>");
  const repository = ownerRepo(site, workspace, repo);
  let target: Target;
  switch (marker) {
    case "src": {
      const at = site.location.query.get("at") || undefined;
      if (rest.length === 0) {
        target = at ? { kind: "branch", branch: at } : repositoryTarget;
        break;
      }
      const split = splitRef(rest, { prefer: "first", minPath: 0, ...(at ? { hint: at } : {}) });
      target = refTarget(split);
      // `/src/<sha>/path?at=<branch>`: the commit, on that branch.
      if (split.isCommit && at) target.branch = at;
      break;
    }
    case "branch":
      target = rest.length > 0 ? { kind: "branch", branch: rest.join("/") } : repositoryTarget;
      break;
    case "commits":
      if (rest[0] === "branch" && rest.length > 1) target = { kind: "branch", branch: rest.slice(1).join("/") };
      else target = rest.length > 0 ? commitTarget(rest[0]) : repositoryTarget;
      break;
    case "pull-requests":
      target = numberedTarget("pull_request", rest[0]);
      break;
    case "issues":
      target = numberedTarget("issue", rest[0]);
      break;
    default:
      target = repositoryTarget;
  }
  return finish(site, repository, target);
}

function azureDevOps(site: Site): ParsedContext {
  const { segments, query, transport } = site.location;
  let owner: string[];
  let repo: string;
  let rest: string[];
  const shape = "<organization>/<project>/_git/<repository>";
  if (transport === "ssh" && segments[0] === "v3") {
    // git@ssh.dev.azure.com:v3/<org>/<project>/<repo>
    const [, org, project, name] = segments;
    repo = stripGit(name ?? "");
    if (!org || !project || repo === "") throw noRepository(site, shape);
    owner = [org, project];
    rest = [];
  } else {
    const git = segments.indexOf("_git");
    repo = stripGit(segments[git + 1] ?? "");
    let before = git === -1 ? [] : segments.slice(0, git);
    if (site.visualStudioOrg !== undefined) {
      if (before[0]?.toLowerCase() === "defaultcollection") before = before.slice(1);
      before = [site.visualStudioOrg, ...before];
    }
    if (git === -1 || repo === "" || before.length === 0) throw noRepository(site, shape);
    // `<org>/_git/<repo>` is the repository of the project of the same name.
    owner = before.length === 1 && site.host === "dev.azure.com" ? [...before, repo] : before;
    rest = segments.slice(git + 2);
  }
  const webUrl = `${site.base}/${encodePath(owner)}/_git/${encodePath([repo])}`;
  const repository: Repository = { owner: owner.join("/"), repo, cloneUrl: webUrl, webUrl };

  let target: Target = repositoryTarget;
  if (rest[0] === "pullrequest") target = numberedTarget("pull_request", rest[1]);
  else if (rest[0] === "commit") target = commitTarget(rest[1]);
  else {
    const version = query.get("version") ?? "";
    const value = version.slice(2);
    const prefix = version.slice(0, 2).toUpperCase();
    if (prefix === "GB" && value) target = { kind: "branch", branch: value };
    else if (prefix === "GT" && value) target = { kind: "tag", tag: value };
    else if (prefix === "GC" && value) target = commitTarget(value);
    const path = (query.get("path") ?? "").replace(/^\/+|\/+$/g, "");
    if (path) target = { ...target, kind: "file", path };
  }
  return finish(site, repository, target);
}

// ---------------------------------------------------------------------------------------
// Helpers

const fullSha = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const anySha = /^[0-9a-f]{7,64}$/i;
const positiveNumber = /^[1-9][0-9]{0,18}$/;
/** Names that are, in practice, always the whole branch of a tree URL. */
const defaultBranchNames = new Set(["main", "master"]);

function ownerRepo(site: Site, owner: string, repo: string): Repository {
  const webUrl = `${site.base}/${encodePath([owner, repo])}`;
  return { owner, repo, cloneUrl: `${webUrl}.git`, webUrl };
}

function stripGit(name: string): string {
  return name.toLowerCase().endsWith(".git") ? name.slice(0, -4) : name;
}

function encodePath(segments: string[]): string {
  return segments.map(encodeURIComponent).join("/");
}

function commitTarget(sha: string | undefined): Target {
  if (sha === undefined || !anySha.test(sha)) {
    throw new ContextUrlError("malformed_path", `the context URL's commit "${sha ?? ""}" is not a commit SHA`);
  }
  return { kind: "commit", commit: sha.toLowerCase() };
}

/** A numbered pull request or issue; anything else (`/issues/new`, `/pull/new/x`) is the repository. */
function numberedTarget(kind: "pull_request" | "issue", id: string | undefined): Target {
  if (id === undefined || !positiveNumber.test(id)) return repositoryTarget;
  return kind === "pull_request" ? { kind, pullRequestId: id } : { kind, issueId: id };
}

interface RefSplit {
  ref: string;
  path: string;
  isCommit: boolean;
  candidates?: RefCandidate[];
}

/**
 * Splits `<ref>/<path>` segments (at least one). `prefer`: the offline choice when ambiguous
 * ("whole": as much ref as allowed unless the first segment is main/master; "first": the
 * first segment). `minPath`: segments that must stay path (1 for a file URL). `hint`: a
 * branch named elsewhere in the URL.
 */
function splitRef(segments: string[], options: { prefer: "whole" | "first"; minPath: 0 | 1; hint?: string }): RefSplit {
  const [first = "", ...tail] = segments;
  if (fullSha.test(first)) return { ref: first.toLowerCase(), path: tail.join("/"), isCommit: true };
  const hint = options.hint?.split("/").filter((s) => s !== "");
  if (hint && hint.length > 0 && hint.every((s, i) => segments[i] === s)) {
    return { ref: hint.join("/"), path: segments.slice(hint.length).join("/"), isCommit: false };
  }
  const maxRef = Math.max(1, segments.length - options.minPath);
  if (maxRef === 1) return { ref: first, path: tail.join("/"), isCommit: false };
  const candidates: RefCandidate[] = [];
  for (let i = 1; i <= maxRef; i++) {
    candidates.push({ ref: segments.slice(0, i).join("/"), path: segments.slice(i).join("/") });
  }
  const choice = options.prefer === "first" || defaultBranchNames.has(first) ? 0 : maxRef - 1;
  const chosen = candidates[choice] ?? { ref: first, path: tail.join("/") };
  return { ...chosen, isCommit: false, candidates };
}

function refTarget(split: RefSplit, refKind: "branch" | "tag" = "branch"): Target {
  const kind: ContextKind = split.path ? "file" : split.isCommit ? "commit" : refKind;
  const target: Target = { kind };
  if (split.isCommit) target.commit = split.ref;
  else if (refKind === "tag") target.tag = split.ref;
  else target.branch = split.ref;
  if (split.path) target.path = split.path;
  if (split.candidates) target.refCandidates = split.candidates;
  return target;
}
