/**
 * The session cookie (docs/sign-in.md): HttpOnly, SameSite=Lax, Path=/, Secure when the
 * public URL is https. Parsed and written with the `cookie` package.
 */
import { parseCookie, stringifySetCookie } from "cookie";
import { isSessionSecret } from "../crypto/tokens.js";

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
    secure: new URL(publicUrl).protocol === "https:",
    path: "/",
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(name: string, publicUrl: string): string {
  return stringifySetCookie(name, "", {
    httpOnly: true,
    sameSite: "lax",
    secure: new URL(publicUrl).protocol === "https:",
    path: "/",
    maxAge: 0,
  });
}
