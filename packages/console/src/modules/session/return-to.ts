/**
 * The `return_to` a page sent the browser to sign-in with (`/?return_to=/auth/oauth2/start?…`),
 * when it passes the server's rule (sign-in/return-path.ts): a path on this origin, not `//`,
 * no scheme, no backslash, no control characters. Anything else: none (the console's own pages).
 */
export function returnToFromUrl(location: Pick<Location, "search" | "origin"> = window.location): string | undefined {
  const raw = new URLSearchParams(location.search).get("return_to");
  if (!raw || raw.length > 2048 || !raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return undefined;
  for (const c of raw) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return undefined;
  }
  const url = new URL(raw, location.origin);
  return url.origin === location.origin ? url.pathname + url.search + url.hash : undefined;
}
