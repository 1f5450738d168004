/**
 * The cookie that binds a browser flow (OIDC sign-in, SCM OAuth) to the browser that started
 * it: HttpOnly, SameSite=Lax (it must come back on the provider's top-level redirect), Secure
 * on an https public URL, sent only to the flow's own path. Value "" with maxAge 0 clears it.
 */
import { stringifySetCookie } from "cookie";

/** Whether the server's cookies are Secure: when its public URL is https. */
export function cookiesAreSecure(publicUrl: string): boolean {
  return new URL(publicUrl).protocol === "https:";
}

export function bindingCookie(
  name: string,
  value: string,
  options: { publicUrl: string; path: string; maxAgeSeconds: number },
): string {
  return stringifySetCookie(name, value, {
    httpOnly: true,
    sameSite: "lax",
    secure: cookiesAreSecure(options.publicUrl),
    path: options.path,
    maxAge: Math.max(0, Math.floor(options.maxAgeSeconds)),
  });
}
