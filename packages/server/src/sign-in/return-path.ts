/**
 * Where a sign-in may send the browser afterwards (docs/sign-in.md "Return paths"): a path
 * on this server under one of the configured prefixes. Anything else is `/`, so the
 * sign-in pages are never an open redirect.
 */
export function safeReturnPath(raw: string | null | undefined, allowedPrefixes: readonly string[]): string {
  if (!raw || raw.length > 2048) return "/";
  // One leading slash, no scheme-relative `//`, no backslash (browsers read it as a slash),
  // no control characters.
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\") || hasControl(raw)) return "/";
  const url = new URL(raw, "http://return.invalid");
  if (url.origin !== "http://return.invalid") return "/";
  const path = url.pathname + url.search + url.hash;
  return allowedPrefixes.some((prefix) => url.pathname.startsWith(prefix)) ? path : "/";
}

function hasControl(s: string): boolean {
  for (const c of s) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
