/**
 * Whether a browser request comes from the server's own origin (docs/sign-in.md "Cookies and
 * origins"). Cookie-authenticated calls, sign-in and logout are accepted only then, so another
 * site cannot ride or plant a session. Browsers send `Origin` on every cross-origin request
 * and on every POST, and `Sec-Fetch-Site` on every request; a request with neither is not
 * from a browser that could be tricked, and is refused too: programs use bearer tokens.
 */
export function fromOwnOrigin(header: (name: string) => string | null | undefined, publicUrl: string): boolean {
  const origin = header("origin");
  if (origin) return origin === new URL(publicUrl).origin;
  const site = header("sec-fetch-site");
  return site === "same-origin" || site === "none";
}

export function ownOriginMessage(publicUrl: string): string {
  return `session cookies are accepted only from ${new URL(publicUrl).origin}`;
}
