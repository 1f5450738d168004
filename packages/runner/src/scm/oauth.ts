/**
 * The runner as an OAuth 2 client of an SCM (docs/scm-oauth.md): each SCM's authorize and token
 * endpoints (overridable per host), the authorize URL with PKCE S256, the code exchange and the
 * refresh grant. The token endpoint is spoken through oauth4webapi; the runner only chooses the
 * endpoints and the client authentication each SCM expects.
 */
import * as oauth from "oauth4webapi";
import type { ScmInfo } from "../schema.js";

export interface OAuthEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
}

interface OAuthScm {
  /** Scopes asked for (Bitbucket takes them from the consumer's settings and ignores these). */
  scopes: string[];
  /** How the client authenticates at the token endpoint. */
  clientAuth: "post" | "basic";
  /** `base`: `https://<host>`, or the integration's issuer URL when it has one. */
  endpoints(base: string): OAuthEndpoints;
}

/** Azure DevOps' resource id in Microsoft Entra ID: its `.default` scope is "what the app was granted". */
const azureDevOpsResource = "499b84ac-1321-427f-aa17-267ca6975798";

/**
 * Each SCM's endpoints. GitHub Enterprise Server and self-managed GitLab serve the same paths
 * on their own host; Bitbucket Cloud and Azure DevOps (through Microsoft Entra ID) have one
 * authorization server for every host.
 */
export const oauthScms: Record<ScmInfo["id"], OAuthScm> = {
  github: {
    scopes: ["repo", "read:user"],
    clientAuth: "post",
    endpoints: (base) => ({
      authorizeUrl: `${base}/login/oauth/authorize`,
      tokenUrl: `${base}/login/oauth/access_token`,
    }),
  },
  gitlab: {
    scopes: ["api", "read_user"],
    clientAuth: "post",
    endpoints: (base) => ({ authorizeUrl: `${base}/oauth/authorize`, tokenUrl: `${base}/oauth/token` }),
  },
  bitbucket: {
    scopes: ["repository", "account"],
    clientAuth: "basic",
    endpoints: () => ({
      authorizeUrl: "https://bitbucket.org/site/oauth2/authorize",
      tokenUrl: "https://bitbucket.org/site/oauth2/access_token",
    }),
  },
  azuredevops: {
    scopes: [`${azureDevOpsResource}/.default`, "offline_access"],
    clientAuth: "post",
    endpoints: () => ({
      authorizeUrl: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
      tokenUrl: "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
    }),
  },
};

/**
 * The endpoints for a host: the operator's override (`--scm-oauth`), else the SCM's own on the
 * integration's `issuer_url` (when the SCM's sign-in lives elsewhere), else on the host.
 */
export function oauthEndpointsFor(
  scmId: ScmInfo["id"],
  host: string,
  overrides: Record<string, OAuthEndpoints>,
  issuerUrl = "",
): OAuthEndpoints {
  const base = issuerUrl ? issuerUrl.replace(/\/+$/, "") : `https://${host.toLowerCase()}`;
  return overrides[host.toLowerCase()] ?? oauthScms[scmId].endpoints(base);
}

export interface OAuthClient {
  scmId: ScmInfo["id"];
  endpoints: OAuthEndpoints;
  clientId: string;
}

/** The SCM's authorize URL: authorization code flow with PKCE S256 and the server's state. */
export function authorizeUrl(
  client: OAuthClient,
  request: { redirectUri: string; state: string; codeChallenge: string },
): string {
  const url = new URL(client.endpoints.authorizeUrl);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", client.clientId);
  url.searchParams.set("redirect_uri", request.redirectUri);
  url.searchParams.set("scope", oauthScms[client.scmId].scopes.join(" "));
  url.searchParams.set("state", request.state);
  url.searchParams.set("code_challenge", request.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.href;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: Date | undefined;
  scopes: string[];
}

/** The SCM refused or failed; `message` is safe to show (it never holds a secret). */
export class OAuthError extends Error {
  override readonly name = "OAuthError";
  constructor(
    message: string,
    /** The SCM answered and said no (as opposed to not answering). */
    readonly rejected: boolean,
  ) {
    super(message);
  }
}

/** Exchanges an authorization code at the token endpoint (client secret, PKCE verifier, redirect URI). */
export async function exchangeCode(
  client: OAuthClient,
  clientSecret: string,
  request: { code: string; redirectUri: string; codeVerifier: string },
  now: Date,
): Promise<TokenSet> {
  const { as, c, auth, options } = parts(client, clientSecret);
  return tokenCall(now, async () => {
    // The server checked the state already; this only turns the code into callback parameters.
    const params = oauth.validateAuthResponse(as, c, new URLSearchParams({ code: request.code }), oauth.skipStateCheck);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      c,
      auth,
      params,
      request.redirectUri,
      request.codeVerifier,
      options,
    );
    return oauth.processAuthorizationCodeResponse(as, c, response);
  });
}

/** Trades a refresh token for a new access token (and, with most SCMs, a new refresh token). */
export async function refreshTokens(
  client: OAuthClient,
  clientSecret: string,
  refreshToken: string,
  now: Date,
): Promise<TokenSet> {
  const { as, c, auth, options } = parts(client, clientSecret);
  return tokenCall(now, async () => {
    const response = await oauth.refreshTokenGrantRequest(as, c, auth, refreshToken, options);
    return oauth.processRefreshTokenResponse(as, c, response);
  });
}

function parts(client: OAuthClient, clientSecret: string) {
  const tokenUrl = new URL(client.endpoints.tokenUrl);
  const as: oauth.AuthorizationServer = { issuer: tokenUrl.origin, token_endpoint: tokenUrl.href };
  const c: oauth.Client = { client_id: client.clientId };
  const auth =
    oauthScms[client.scmId].clientAuth === "basic"
      ? oauth.ClientSecretBasic(clientSecret)
      : oauth.ClientSecretPost(clientSecret);
  // Plain http only where the operator pointed a host at it (`--scm-oauth`), e.g. a local test SCM.
  const options = {
    [oauth.allowInsecureRequests]: tokenUrl.protocol === "http:",
    signal: AbortSignal.timeout(10_000),
  };
  return { as, c, auth, options };
}

async function tokenCall(now: Date, call: () => Promise<oauth.TokenEndpointResponse>): Promise<TokenSet> {
  let result: oauth.TokenEndpointResponse;
  try {
    result = await call();
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      throw new OAuthError(
        `the SCM refused: ${error.error}${error.error_description ? ` (${error.error_description})` : ""}`,
        true,
      );
    }
    if (error instanceof oauth.OperationProcessingError) {
      throw new OAuthError(`the SCM's token endpoint answered unexpectedly: ${error.message}`, true);
    }
    throw new OAuthError(`the SCM's token endpoint could not be reached: ${(error as Error).message}`, false);
  }
  return {
    accessToken: result.access_token,
    refreshToken: result.refresh_token,
    expiresAt: typeof result.expires_in === "number" ? new Date(now.getTime() + result.expires_in * 1000) : undefined,
    // GitHub separates scopes with commas, the standard with spaces.
    scopes: (result.scope ?? "").split(/[\s,]+/).filter((s) => s !== ""),
  };
}
