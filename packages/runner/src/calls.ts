/**
 * What the reference runner answers to each call of the server (behaviour.md §8). Every
 * handler returns the `response` of a SendResponseRequest: the answer, or an error with a
 * Connect code the server passes on to the caller.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import type {
  SendResponseRequestSchema,
  WatchRequestsResponse,
} from "@runnerplane/client/gitpod/v1/runner_interaction_pb";
import { SendResponseRequest_ErrorCode as ErrorCode } from "@runnerplane/client/gitpod/v1/runner_interaction_pb";
import { ParseContextURLPreconditionFailureDetailsSchema } from "@runnerplane/client/gitpod/v1/runner_pb";
import { TokenRefreshRejected } from "./oauth-calls.js";
import { type ScmInfo, scms } from "./schema.js";
import { ContextUrlError, type KnownHost, parseContextUrl, toParseContextUrlResponse } from "./scm/context-url.js";
import { GitHubApi } from "./scm/github-api.js";
import { GitLabApi } from "./scm/gitlab-api.js";
import { apiBaseUrlFor, isScmApiError, type ScmApi } from "./scm/scm-api.js";
import { type KeyPair, openSealed } from "./state.js";

type Response = NonNullable<MessageInitShape<typeof SendResponseRequestSchema>["response"]>;

export interface CallContext {
  /** SCM hosts the runner serves: its integrations' hosts, then the public defaults. */
  knownHosts(): Promise<KnownHost[]>;
  /** Whether an OAuth integration exists for the host (for CheckAuthenticationForHost). */
  hasOAuth(host: string): Promise<boolean>;
  /** The caller's token for a host, read from the server (GetHostAuthenticationTokenValue). */
  tokenFor(principalId: string, host: string): Promise<string | undefined>;
  /** REST API base URL per host (configuration), e.g. { "github.com": "https://api.github.com" }. */
  apiBaseUrls: Record<string, string>;
  serverUrl: string;
  keys: KeyPair;
}

export async function answerCall(call: WatchRequestsResponse["request"], ctx: CallContext): Promise<Response> {
  try {
    switch (call.case) {
      case "callPing":
        return { case: "callPing", value: {} };
      case "callParseContext":
        return {
          case: "callParseContext",
          value: { resp: await parseContext(call.value.contextUrl, call.value.principalId, ctx) },
        };
      case "callCheckAuthenticationForHost":
        return {
          case: "callCheckAuthenticationForHost",
          value: { resp: await checkAuthentication(call.value.host, call.value.principalId, ctx) },
        };
      case "callCheckRepositoryAccess": {
        const { api, parsed } = await apiForUrl(call.value.repositoryUrl, call.value.principalId, ctx);
        const access = await api.checkRepositoryAccess(parsed.owner, parsed.repo);
        return {
          case: "callCheckRepositoryAccess",
          value: { resp: { hasAccess: access.hasAccess, errorMessage: access.errorMessage } },
        };
      }
      case "callSearchRepositories": {
        const v = call.value;
        const api = await apiForHost(v.scmHost || "github.com", v.principalId, ctx);
        const page = await api.searchRepositories(
          v.searchString,
          { size: v.pagination?.pageSize || v.limit || 25, token: v.pagination?.token ?? "" },
          v.searchMode === 2 ? "native" : "keyword",
        );
        return {
          case: "callSearchRepositories",
          value: {
            repositories: page.repositories,
            pagination: { nextToken: page.nextToken },
            lastPage: page.lastPage,
          },
        };
      }
      case "callListScmOrganizations": {
        const v = call.value;
        const api = await apiForHost(v.scmHost, v.principalId, ctx);
        const page = await api.listOrganizations(v.query, {
          size: v.pagination?.pageSize ?? 25,
          token: v.pagination?.token ?? "",
        });
        return {
          case: "callListScmOrganizations",
          value: { organizations: page.organizations, pagination: { nextToken: page.nextToken } },
        };
      }
      case "callValidateConfig":
        return { case: "callValidateConfig", value: { result: await validate(call.value.config, ctx) } };
      default:
        return error(ErrorCode.UNIMPLEMENTED, `this runner does not answer ${call.case ?? "empty calls"}`);
    }
  } catch (e) {
    return failure(e);
  }
}

async function parseContext(url: string, principalId: string, ctx: CallContext) {
  const parsed = parseContextUrl(url, await ctx.knownHosts());
  if (!parsed.needsApi || !apiSupported(parsed.scmId)) return toParseContextUrlResponse(parsed);
  try {
    const api = await apiForHost(parsed.host, principalId, ctx);
    return await enrich(parsed, api);
  } catch (e) {
    const rejected = e instanceof TokenRefreshRejected;
    if (!rejected && !isScmApiError(e, "unauthenticated")) throw e;
    // The SCM wants to know who asks: tell the caller where to authenticate. The PAT page here;
    // the server puts its OAuth link in instead when the host's integration has an OAuth app.
    const scm = await scmForHost(parsed.host, ctx);
    const authUrl = scm?.patCreateUrl(parsed.host) ?? "";
    throw new CallFailure(
      ErrorCode.FAILED_PRECONDITION,
      rejected ? e.message : `${(e as Error).message}; authenticate with ${scm?.name ?? parsed.host} first`,
      [
        anyPack(
          ParseContextURLPreconditionFailureDetailsSchema,
          create(ParseContextURLPreconditionFailureDetailsSchema, {
            authenticationRequiredUrl: authUrl,
            scmId: parsed.scmId,
          }),
        ),
      ],
    );
  }
}

async function enrich(parsed: ReturnType<typeof parseContextUrl>, api: ScmApi) {
  const enrichment: Parameters<typeof toParseContextUrlResponse>[1] = {};
  if (parsed.missing.includes("default_branch") || parsed.missing.includes("ref_split")) {
    enrichment.defaultBranch = (await api.getRepository(parsed.owner, parsed.repo)).defaultBranch;
  }
  if (parsed.pullRequestId && parsed.missing.includes("pull_request")) {
    enrichment.pullRequest = await api.getPullRequest(parsed.owner, parsed.repo, Number(parsed.pullRequestId));
  }
  if (parsed.issueId && parsed.missing.includes("issue")) {
    enrichment.issueTitle = (await api.getIssue(parsed.owner, parsed.repo, Number(parsed.issueId))).title;
  }
  return toParseContextUrlResponse(parsed, enrichment);
}

/**
 * Whether the caller has a usable token (refreshed first if it must be; a rejected refresh
 * means no), the SCM, and PAT guidance. The OAuth link is the server's to make (it stores a
 * login attempt, docs/scm-oauth.md), so `supports_oauth2` only says that an OAuth app exists.
 */
async function checkAuthentication(host: string, principalId: string, ctx: CallContext) {
  const scm = await scmForHost(host, ctx);
  const token = await ctx.tokenFor(principalId, host).catch((e: unknown) => {
    if (e instanceof TokenRefreshRejected) return undefined;
    throw e;
  });
  const authenticated = token !== undefined;
  const oauth = scm && (await ctx.hasOAuth(host));
  return {
    authenticated,
    scmId: scm?.id ?? "",
    scmName: scm?.name ?? "",
    authenticationUrl: scm?.patCreateUrl(host) ?? "",
    patSupported: scm !== undefined,
    ...(oauth ? { supportsOauth2: { authUrl: "", docsUrl: oauthDocs[scm.id] } } : {}),
    ...(scm
      ? {
          supportsPat: {
            createUrl: scm.patCreateUrl(host),
            docsUrl: scm.patDocsUrl,
            example: scm.id === "github" ? "ghp_xxxxxxxxxxxxxxxxxxxx" : "glpat-xxxxxxxxxxxxxxxxxxxx",
            requiredScopes: scm.patScopes,
          },
        }
      : {}),
  };
}

async function validate(
  config: Extract<WatchRequestsResponse["request"], { case: "callValidateConfig" }>["value"]["config"],
  ctx: CallContext,
) {
  if (config.case === "scm") {
    const secret = config.value.oauth?.encryptedClientSecret;
    if (secret && secret.length > 0) {
      try {
        await openSealed(ctx.keys, secret);
      } catch {
        return {
          case: "scm" as const,
          value: { valid: false, oauthError: "the client secret does not open with this runner's key" },
        };
      }
    }
    return { case: "scm" as const, value: { valid: true } };
  }
  if (config.case === "environmentClass") {
    const keys = new Map(config.value.configuration.map((f) => [f.key, f.value]));
    const configurationErrors = ["cpu", "memory"]
      .filter((k) => !/^\d+$/.test(keys.get(k) ?? ""))
      .map((key) => ({ key, error: "this runner needs a whole number here" }));
    return {
      case: "environmentClass" as const,
      value: { valid: configurationErrors.length === 0, configurationErrors },
    };
  }
  return { case: undefined };
}

/** Where each SCM documents OAuth apps (shown beside the sign-in link). */
const oauthDocs: Record<ScmInfo["id"], string> = {
  github: "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
  gitlab: "https://docs.gitlab.com/integration/oauth_provider/",
  bitbucket: "https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/",
  azuredevops: "https://learn.microsoft.com/en-us/azure/devops/integrate/get-started/authentication/entra-oauth",
};

function apiSupported(scmId: string): boolean {
  return scmId === "github" || scmId === "gitlab";
}

async function scmForHost(host: string, ctx: CallContext): Promise<ScmInfo | undefined> {
  const known = (await ctx.knownHosts()).find((h) => h.host === host.toLowerCase());
  return scms.find((s) => s.id === known?.scmId);
}

async function apiForHost(host: string, principalId: string, ctx: CallContext): Promise<ScmApi> {
  const scm = await scmForHost(host, ctx);
  if (!scm || !apiSupported(scm.id)) {
    throw new CallFailure(ErrorCode.FAILED_PRECONDITION, `this runner cannot talk to the API of ${host}`);
  }
  const token = await ctx.tokenFor(principalId, host);
  const apiBaseUrl = apiBaseUrlFor(scm.id, host, ctx.apiBaseUrls);
  const options = { token, ...(apiBaseUrl ? { apiBaseUrl } : {}) };
  return scm.id === "github" ? new GitHubApi(options) : new GitLabApi(options);
}

async function apiForUrl(url: string, principalId: string, ctx: CallContext) {
  const parsed = parseContextUrl(url, await ctx.knownHosts());
  return { parsed, api: await apiForHost(parsed.host, principalId, ctx) };
}

class CallFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Any[] = [],
  ) {
    super(message);
  }
}

function error(code: ErrorCode, message: string, details: Any[] = []): Response {
  return { case: "error", value: { code, message, details } };
}

/** Failures as the caller should see them: bad URLs and SCM errors, with their Connect codes. */
function failure(e: unknown): Response {
  if (e instanceof CallFailure) return error(e.code, e.message, e.details);
  if (e instanceof TokenRefreshRejected) return error(ErrorCode.FAILED_PRECONDITION, e.message);
  if (e instanceof ContextUrlError) return error(ErrorCode.INVALID_ARGUMENT, e.message);
  if (isScmApiError(e)) {
    const codes = {
      not_found: ErrorCode.NOT_FOUND,
      permission_denied: ErrorCode.PERMISSION_DENIED,
      invalid_argument: ErrorCode.INVALID_ARGUMENT,
      unavailable: ErrorCode.UNAVAILABLE,
      unauthenticated: ErrorCode.FAILED_PRECONDITION,
    } as const;
    return error(codes[e.kind], e.message);
  }
  return error(ErrorCode.UNAVAILABLE, `the runner failed: ${(e as Error)?.message ?? e}`);
}
