/**
 * The session endpoints of docs/sign-in.md. They are plain HTTP, not RPCs: the browser must
 * receive the HttpOnly cookie, which a script never sees.
 */
export class SignInError extends Error {
  override name = "SignInError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Trades a personal access token for a session cookie. */
export async function signInWithToken(token: string): Promise<void> {
  const res = await fetch("/auth/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
    credentials: "same-origin",
  });
  if (!res.ok) throw await errorOf(res);
}

export async function signOut(): Promise<void> {
  const res = await fetch("/auth/logout", { method: "POST", credentials: "same-origin" });
  if (!res.ok && res.status !== 401) throw await errorOf(res);
}

/** Where the browser goes to sign in with the SSO configuration that covers an email address. */
export function ssoStartUrl(email: string, returnTo = "/"): string {
  return `/auth/oidc/start?${new URLSearchParams({ email, return_to: returnTo })}`;
}

async function errorOf(res: Response): Promise<SignInError> {
  const body = (await res.json().catch(() => undefined)) as { code?: string; message?: string } | undefined;
  return new SignInError(body?.message ?? `sign-in failed (HTTP ${res.status})`, body?.code ?? String(res.status));
}
