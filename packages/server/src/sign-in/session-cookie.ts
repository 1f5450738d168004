/**
 * The session cookie (docs/sign-in.md): HttpOnly, SameSite=Lax, Path=/, Secure when the
 * public URL is https. Parsed and written with the `cookie` package.
 */
import { parseCookie, stringifySetCookie } from "cookie";
import { isSessionSecret } from "../crypto/tokens.js";
import { cookiesAreSecure } from "../http/binding-cookie.js";

/** The session id the request carries, when shaped like one. */
export function sessionCookieValue(cookieHeader: string | null | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  const value = parseCookie(cookieHeader)[name];
  return value && isSessionSecret(value) ? value : undefined;
}

export function setSessionCookie(name: string, secret: string, publicUrl: string, maxAgeMs: number): string {
  return stringifySetCookie(name, secret, {
    httpOnly: true,
    sameSite: "lax",
    secure: cookiesAreSecure(publicUrl),
    path: "/",
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

/** The same cookie, empty and expired: what logout sends. */
export function clearSessionCookie(name: string, publicUrl: string): string {
  return setSessionCookie(name, "", publicUrl, 0);
}
