/**
 * The OpenID Connect relying party, through `openid-client` (docs/sign-in.md "Library
 * choices"): discovery, the authorization URL, and the code exchange with every check of the
 * ID token (signature from the issuer's JWKS, issuer, audience, expiry, nonce, state) done by
 * the library. Nothing here parses or verifies a token by hand.
 */
import { createHash } from "node:crypto";
import * as client from "openid-client";

export interface OidcClientSettings {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
}

const loopbackHosts = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Why an issuer URL is not acceptable, or undefined. https everywhere; plain http on loopback
 * addresses (local IdPs, tests) or where the development setting allows it.
 */
export function issuerProblem(issuerUrl: string, allowInsecure: boolean): string | undefined {
  if (!URL.canParse(issuerUrl)) return "must be an absolute URL";
  const url = new URL(issuerUrl);
  if (url.search || url.hash) return "must not have a query or fragment";
  if (url.username || url.password) return "must not carry credentials";
  if (url.protocol === "https:") return undefined;
  if (url.protocol !== "http:") return "must be an https:// URL";
  if (loopbackHosts.test(url.hostname) || allowInsecure) return undefined;
  return "must be an https:// URL (plain http only on loopback addresses, or with RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS=true)";
}

export class DiscoveryError extends Error {
  override name = "DiscoveryError";
}

/**
 * Fetches and checks the issuer's discovery document (`/.well-known/openid-configuration`,
 * whose `issuer` must be the issuer URL) and returns a client configuration for it.
 */
export async function discover(settings: OidcClientSettings, allowInsecure: boolean): Promise<client.Configuration> {
  const problem = issuerProblem(settings.issuerUrl, allowInsecure);
  if (problem) throw new DiscoveryError(`issuer_url ${problem}`);
  // One fetch per configuration every few minutes, not one per sign-in. Keyed by everything
  // the configuration is made from (the secret only as part of a SHA-256), so an updated SSO
  // configuration is discovered afresh; failures are not cached.
  const key = createHash("sha256")
    .update(JSON.stringify([settings.issuerUrl, settings.clientId, settings.clientSecret, allowInsecure]))
    .digest("base64url");
  const cached = discoveryCache.get(key);
  if (cached && Date.now() - cached.at < discoveryCacheMs) return cached.configuration;
  const configuration = await discoverNow(settings);
  for (const [k, v] of discoveryCache) if (Date.now() - v.at >= discoveryCacheMs) discoveryCache.delete(k);
  discoveryCache.set(key, { configuration, at: Date.now() });
  return configuration;
}

/** How long a discovery document is reused (docs/sign-in.md). */
export const discoveryCacheMs = 5 * 60_000;
const discoveryCache = new Map<string, { configuration: client.Configuration; at: number }>();

async function discoverNow(settings: OidcClientSettings): Promise<client.Configuration> {
  const insecure = new URL(settings.issuerUrl).protocol === "http:";
  try {
    return await client.discovery(
      new URL(settings.issuerUrl),
      settings.clientId,
      settings.clientSecret,
      client.ClientSecretPost(settings.clientSecret),
      {
        timeout: 10,
        // Verify the ID token's signature against the JWKS even over TLS (OIDC Core lets a
        // client skip that for the token endpoint; the issue does not).
        execute: insecure
          ? [client.allowInsecureRequests, client.enableNonRepudiationChecks]
          : [client.enableNonRepudiationChecks],
      },
    );
  } catch (error) {
    throw new DiscoveryError(
      `the discovery document of ${settings.issuerUrl} could not be fetched or is not valid: ${(error as Error).message}`,
    );
  }
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The IdP's authorization URL for a code flow with PKCE (S256), a fresh state and nonce. */
export async function authorizationRequest(
  config: client.Configuration,
  redirectUri: string,
  scopes: readonly string[],
  loginHint: string | undefined,
): Promise<AuthorizationRequest> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    response_type: "code",
    scope: [...new Set(["openid", "email", "profile", ...scopes])].join(" "),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...(loginHint ? { login_hint: loginHint } : {}),
  });
  return { url, state, nonce, codeVerifier };
}

/** The verified identity of a completed login. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean | undefined;
  name: string | undefined;
}

/**
 * Exchanges the code (with the PKCE verifier) and verifies the ID token: openid-client checks
 * its signature, issuer, audience, expiry, nonce and the response's state. Claims missing from
 * the ID token (some IdPs put email only in userinfo) come from the userinfo endpoint, whose
 * subject must match.
 */
export async function completeLogin(
  config: client.Configuration,
  callbackUrl: URL,
  expected: { state: string; nonce: string; codeVerifier: string },
): Promise<VerifiedIdentity> {
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: expected.codeVerifier,
    expectedNonce: expected.nonce,
    expectedState: expected.state,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("the token response has no ID token");
  let email = typeof claims.email === "string" ? claims.email : undefined;
  let emailVerified = typeof claims.email_verified === "boolean" ? claims.email_verified : undefined;
  let name = typeof claims.name === "string" ? claims.name : undefined;
  if (email === undefined && config.serverMetadata().userinfo_endpoint) {
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    email = typeof info.email === "string" ? info.email : undefined;
    emailVerified = typeof info.email_verified === "boolean" ? info.email_verified : undefined;
    name ??= typeof info.name === "string" ? info.name : undefined;
  }
  return { issuer: claims.iss, subject: claims.sub, email, emailVerified, name };
}
