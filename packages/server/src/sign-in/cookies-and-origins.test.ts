/** The pure rules of sign-in: cookie attributes, the own-origin check, safe return paths. */
import { describe, expect, it } from "vitest";
import { bindingCookie, bindingCookieName } from "./oidc-start.js";
import { safeReturnPath } from "./return-path.js";
import { fromOwnOrigin } from "./same-origin.js";
import { clearSessionCookie, sessionCookieValue, setSessionCookie } from "./session-cookie.js";

const session = `rp_session_${"A".repeat(43)}`;

describe("setSessionCookie", () => {
  it("is HttpOnly, SameSite=Lax and host-wide, and Secure only when the public URL is https", () => {
    const https = setSessionCookie("rp_session", session, "https://rp.example.com", 3_600_000);
    expect(https).toBe(`rp_session=${session}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`);
    expect(setSessionCookie("rp_session", session, "http://localhost:8080", 3_600_000)).not.toMatch(/Secure/);
    expect(clearSessionCookie("rp_session", "https://rp.example.com")).toMatch(/^rp_session=; Max-Age=0; Path=\/;/);
  });
});

describe("the cookies of a __Host- session cookie", () => {
  it("keep what browsers demand of their prefixes: the session cookie host-wide, the login's binding __Secure-", () => {
    // __Host-: Secure, Path=/, no Domain. __Secure-: Secure (its path may be narrower).
    expect(setSessionCookie("__Host-rp_session", session, "https://rp.example.com", 3_600_000)).toBe(
      `__Host-rp_session=${session}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    expect(bindingCookieName("__Host-rp_session")).toBe("__Secure-rp_session_oidc");
    expect(bindingCookieName("rp_session")).toBe("rp_session_oidc");
    const binding = bindingCookie("__Secure-rp_session_oidc", "v", "https://rp.example.com", 600_000);
    expect(binding).toMatch(/^__Secure-rp_session_oidc=v;.*; Path=\/auth\/oidc;.*; Secure/);
    expect(binding).not.toMatch(/Domain/i);
  });
});

describe("sessionCookieValue", () => {
  it("reads only a value shaped like a session id", () => {
    expect(sessionCookieValue(`a=1; rp_session=${session}; b=2`, "rp_session")).toBe(session);
    expect(sessionCookieValue("rp_session=rp_pat_x", "rp_session")).toBeUndefined();
    expect(sessionCookieValue(`other=${session}`, "rp_session")).toBeUndefined();
    expect(sessionCookieValue(undefined, "rp_session")).toBeUndefined();
  });
});

describe("fromOwnOrigin", () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  it("trusts an Origin equal to the public URL's, or Sec-Fetch-Site same-origin or none, nothing else", () => {
    const url = "https://rp.example.com/";
    expect(fromOwnOrigin(headers({ origin: "https://rp.example.com" }), url)).toBe(true);
    expect(fromOwnOrigin(headers({ "sec-fetch-site": "same-origin" }), url)).toBe(true);
    expect(fromOwnOrigin(headers({ "sec-fetch-site": "none" }), url)).toBe(true);
    expect(fromOwnOrigin(headers({ origin: "https://rp.example.com.evil.test" }), url)).toBe(false);
    expect(fromOwnOrigin(headers({ origin: "http://rp.example.com" }), url)).toBe(false);
    expect(fromOwnOrigin(headers({ origin: "null" }), url)).toBe(false);
    // An Origin decides even when Sec-Fetch-Site claims otherwise.
    expect(fromOwnOrigin(headers({ origin: "https://evil.test", "sec-fetch-site": "same-origin" }), url)).toBe(false);
    expect(fromOwnOrigin(headers({ "sec-fetch-site": "same-site" }), url)).toBe(false);
    expect(fromOwnOrigin(headers({}), url)).toBe(false);
  });
});

describe("safeReturnPath", () => {
  it("keeps paths on this server under an allowed prefix and turns everything else into /", () => {
    expect(safeReturnPath("/console/runners?tab=2#x", ["/console/"])).toBe("/console/runners?tab=2#x");
    expect(safeReturnPath("/docs", ["/console/"])).toBe("/");
    for (const bad of ["//evil.test", "/\\evil.test", "https://evil.test/console/", "console/", "/con\nsole", ""]) {
      expect(safeReturnPath(bad, ["/"]), bad).toBe("/");
    }
    expect(safeReturnPath(undefined, ["/"])).toBe("/");
  });
});
