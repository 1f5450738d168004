/**
 * The reference runner's answers to the oauth-v1 extension calls (docs/scm-oauth.md) and its
 * refresh of OAuth host tokens before use. The runner is the OAuth client: it opens the
 * integration's sealed client secret with its private key and talks to the SCM's token
 * endpoint; the server only carries the browser's side.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, errorCode, type RunnerplaneClient } from "@runnerplane/client";
import { HostAuthenticationTokenSource } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { SendResponseRequest_ErrorCode as ErrorCode } from "@runnerplane/client/gitpod/v1/runner_interaction_pb";
import type {
  SendExtensionResponseRequestSchema,
  WatchExtensionRequestsResponse,
} from "@runnerplane/client/runnerplane/runner/v1/runner_extension_pb";
import type { ScmInfo } from "./schema.js";
import { GitHubApi } from "./scm/github-api.js";
import { GitLabApi } from "./scm/gitlab-api.js";
import {
  authorizeUrl,
  exchangeCode,
  type OAuthClient,
  type OAuthEndpoints,
  OAuthError,
  oauthEndpointsFor,
  refreshTokens,
} from "./scm/oauth.js";
import { apiBaseUrlFor } from "./scm/scm-api.js";
import { type KeyPair, openSealed } from "./state.js";

/** The extensions this runner names on its extension stream. */
export const runnerExtensions = ["oauth-v1"];

/** Refresh a token that expires within this long (behaviour.md §11). */
const refreshWindowMs = 5 * 60_000;

export interface RunnerIntegration {
  id: string;
  host: string;
  scmId: string;
  oauth?: { clientId: string; encryptedClientSecret: Uint8Array; issuerUrl: string } | undefined;
}

export interface OAuthContext {
  client: RunnerplaneClient;
  runnerId: string;
  keys: KeyPair;
  integrations(): Promise<RunnerIntegration[]>;
  /** REST API base URL per host. */
  apiBaseUrls: Record<string, string>;
  /** OAuth endpoints per host, overriding each SCM's own. */
  oauthEndpoints: Record<string, OAuthEndpoints>;
  now(): Date;
}

/** The SCM refused to refresh the caller's token: they must connect again (failed_precondition + link). */
export class TokenRefreshRejected extends Error {
  override readonly name = "TokenRefreshRejected";
  constructor(readonly host: string) {
    super(`${host} no longer accepts your sign-in (the token could not be refreshed); connect your account again`);
  }
}

type ExtensionResponse = NonNullable<MessageInitShape<typeof SendExtensionResponseRequestSchema>["response"]>;

export async function answerExtensionCall(
  call: WatchExtensionRequestsResponse["request"],
  ctx: OAuthContext,
): Promise<ExtensionResponse> {
  try {
    switch (call.case) {
      case "callOauthAuthorize": {
        const v = call.value;
        const { client } = await oauthClient(ctx, v.integrationId, v.host);
        return {
          case: "callOauthAuthorize",
          value: {
            authorizeUrl: authorizeUrl(client, {
              redirectUri: v.redirectUri,
              state: v.state,
              codeChallenge: v.codeChallenge,
            }),
          },
        };
      }
      case "callOauthExchange": {
        const v = call.value;
        const { client, secret, integration } = await oauthClient(ctx, v.integrationId, v.host);
        const tokens = await exchangeCode(
          client,
          secret,
          { code: v.code, redirectUri: v.redirectUri, codeVerifier: v.codeVerifier },
          ctx.now(),
        );
        const account = await accountOf(ctx, integration, tokens.accessToken);
        const { token } = await ctx.client.configuration.createHostAuthenticationToken({
          runnerId: ctx.runnerId,
          host: integration.host,
          ...(v.subject ? { subject: v.subject } : {}),
          token: tokens.accessToken,
          ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
          ...(tokens.expiresAt ? { expiresAt: timestampFromDate(tokens.expiresAt) } : {}),
          scopes: tokens.scopes.slice(0, 100),
          integrationId: integration.id,
          source: HostAuthenticationTokenSource.OAUTH,
        });
        return {
          case: "callOauthExchange",
          value: { account, hostAuthenticationTokenId: token?.id ?? "" },
        };
      }
      default:
        return failure(ErrorCode.UNIMPLEMENTED, `this runner does not answer ${call.case ?? "empty calls"}`);
    }
  } catch (e) {
    if (e instanceof OAuthError)
      return failure(e.rejected ? ErrorCode.FAILED_PRECONDITION : ErrorCode.UNAVAILABLE, e.message);
    if (e instanceof CallError) return failure(e.code, e.message);
    return failure(ErrorCode.UNAVAILABLE, `the runner failed: ${(e as Error)?.message ?? e}`);
  }
}

/**
 * The caller's usable token for a host: refreshed first when it is an OAuth token with a
 * refresh token that expires within 5 minutes; undefined when there is none, or it expired
 * and cannot be refreshed. A refresh the SCM rejects → TokenRefreshRejected.
 */
export async function usableToken(ctx: OAuthContext, principalId: string, host: string): Promise<string | undefined> {
  let stored: Awaited<ReturnType<RunnerplaneClient["interaction"]["getHostAuthenticationTokenValue"]>>;
  try {
    stored = await ctx.client.interaction.getHostAuthenticationTokenValue({
      runnerId: ctx.runnerId,
      principalId,
      host,
    });
  } catch (e) {
    if (errorCode(e) === Code.NotFound) return undefined;
    throw e;
  }
  const token = new TextDecoder().decode(stored.value);
  const now = ctx.now();
  const expiresAt = stored.expiresAt ? timestampDate(stored.expiresAt) : undefined;
  const expired = expiresAt !== undefined && expiresAt <= now;
  if (expiresAt === undefined || expiresAt.getTime() - now.getTime() > refreshWindowMs) return token;
  const refreshToken = new TextDecoder().decode(stored.refreshToken);
  const integration = (await ctx.integrations()).find(
    (i) => i.oauth && (stored.integrationId ? i.id === stored.integrationId : i.host === host.toLowerCase()),
  );
  if (stored.source !== HostAuthenticationTokenSource.OAUTH || !refreshToken || !integration) {
    return expired ? undefined : token;
  }
  return singleFlight(stored.tokenId, async () => {
    const { client, secret } = await oauthClient(ctx, integration.id, integration.host);
    let fresh: Awaited<ReturnType<typeof refreshTokens>>;
    try {
      fresh = await refreshTokens(client, secret, refreshToken, now);
    } catch (e) {
      if (e instanceof OAuthError && e.rejected) throw new TokenRefreshRejected(integration.host);
      // The SCM did not answer: a token that still works is used; an expired one is not.
      if (!expired) return token;
      throw e;
    }
    await ctx.client.configuration.updateHostAuthenticationToken({
      id: stored.tokenId,
      token: fresh.accessToken,
      // Most SCMs rotate refresh tokens; one that sends none keeps the old one valid.
      ...(fresh.refreshToken ? { refreshToken: fresh.refreshToken } : {}),
      ...(fresh.expiresAt ? { expiresAt: timestampFromDate(fresh.expiresAt) } : {}),
      scopes: fresh.scopes.slice(0, 100),
    });
    return fresh.accessToken;
  });
}

/** Concurrent calls of one user refresh once (a rotated refresh token works only once). */
const refreshing = new Map<string, Promise<string>>();
function singleFlight(key: string, run: () => Promise<string>): Promise<string> {
  const running = refreshing.get(key);
  if (running) return running;
  const started = run().finally(() => refreshing.delete(key));
  refreshing.set(key, started);
  return started;
}

async function oauthClient(ctx: OAuthContext, integrationId: string, host: string) {
  const integration = (await ctx.integrations()).find((i) => i.id === integrationId.toLowerCase());
  if (!integration || integration.host !== host.toLowerCase()) {
    throw new CallError(ErrorCode.NOT_FOUND, `this runner has no SCM integration ${integrationId} for ${host}`);
  }
  if (!integration.oauth) {
    throw new CallError(ErrorCode.FAILED_PRECONDITION, `the SCM integration for ${host} has no OAuth app`);
  }
  const scmId = integration.scmId as ScmInfo["id"];
  const endpoints = oauthEndpointsFor(scmId, integration.host, ctx.oauthEndpoints, integration.oauth.issuerUrl);
  let secret: string;
  try {
    secret = await openSealed(ctx.keys, integration.oauth.encryptedClientSecret, "text");
  } catch {
    throw new CallError(
      ErrorCode.FAILED_PRECONDITION,
      `the OAuth client secret for ${host} does not open with this runner's key; set it again`,
    );
  }
  const client: OAuthClient = { scmId, endpoints, clientId: integration.oauth.clientId };
  return { client, secret, integration };
}

/** The SCM account a fresh token belongs to, for the success page ("as octocat"); "" where not known. */
async function accountOf(ctx: OAuthContext, integration: RunnerIntegration, token: string): Promise<string> {
  const apiBaseUrl = apiBaseUrlFor(integration.scmId, integration.host, ctx.apiBaseUrls);
  const options = { token, ...(apiBaseUrl ? { apiBaseUrl } : {}) };
  if (integration.scmId === "github") return (await new GitHubApi(options).getAuthenticatedUser()).login;
  if (integration.scmId === "gitlab") return (await new GitLabApi(options).getAuthenticatedUser()).login;
  return "";
}

class CallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function failure(code: ErrorCode, message: string): ExtensionResponse {
  return { case: "error", value: { code, message, details: [] } };
}
