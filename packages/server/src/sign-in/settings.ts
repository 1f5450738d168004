/**
 * The sign-in settings (README "Configuration"; docs/sign-in.md), read by config.ts and
 * passed down. The defaults are behaviour.md §13's.
 */
export interface SignInSettings {
  /** Name of the session cookie (RUNNERPLANE_SESSION_COOKIE). */
  cookieName: string;
  /** A session unused this long is over, in ms (RUNNERPLANE_SESSION_IDLE_TIMEOUT_MS, 12 h). */
  idleTimeoutMs: number;
  /** A session is over this long after sign-in, in ms (RUNNERPLANE_SESSION_MAX_AGE_MS, 7 days). */
  maxAgeMs: number;
  /** Path prefixes a sign-in may return to (RUNNERPLANE_SIGN_IN_RETURN_PATHS, default `/`). */
  returnPaths: string[];
  /** Accept plain-http OIDC issuers beyond loopback; development only (RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS). */
  allowInsecureIssuers: boolean;
}

export const signInDefaults: SignInSettings = {
  cookieName: "rp_session",
  idleTimeoutMs: 12 * 60 * 60_000,
  maxAgeMs: 7 * 24 * 60 * 60_000,
  returnPaths: ["/"],
  allowInsecureIssuers: false,
};

/**
 * The session cookie's default name when the public URL is https. The `__Host-` prefix makes
 * browsers keep the cookie only as it is set (Secure, Path=/, no Domain): no subdomain and no
 * plain-http page of the same host can plant or overwrite it.
 */
export const httpsSessionCookieName = "__Host-rp_session";

/** Whether browsers keep a cookie of this name only from a secure origin (`__Host-`, `__Secure-`). */
export function hasSecurePrefix(cookieName: string): boolean {
  return /^__(host|secure)-/i.test(cookieName);
}

/** How long an OIDC login may take from start to callback. */
export const oidcLoginLifetimeMs = 10 * 60_000;
