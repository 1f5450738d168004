/**
 * The OAuth pages' own answers, without a runner (the whole flow, with the reference runner
 * and a fake SCM, is packages/runner/src/scm-oauth.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSql } from "../../db/index.js";
import { startTestServer, type TestServer } from "../../testing/index.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe("GET /auth/oauth2/start", () => {
  it("answers an unknown or malformed attempt with a 400 page that is never cached", async () => {
    for (const attempt of ["0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01", "nope", ""]) {
      const res = await fetch(`${server.baseUrl}/auth/oauth2/start?attempt=${attempt}`, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await res.text()).toContain("This sign-in link does not work");
    }
  });

  it("answers only GET", async () => {
    const res = await fetch(`${server.baseUrl}/auth/oauth2/start`, { method: "HEAD" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});

describe("GET /auth/oauth2/callback", () => {
  it("refuses a callback without a state or with one it never issued", async () => {
    for (const query of ["", "?code=abc", "?code=abc&state=forged", "?error=access_denied&state=forged"]) {
      const res = await fetch(`${server.baseUrl}/auth/oauth2/callback${query}`, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("Unknown sign-in");
    }
  });
});

describe("the OAuth pages without a database", () => {
  it("answer 503 with a page, not a stack trace", async () => {
    const unreachable = createSql("postgres://nobody@127.0.0.1:9/none", { max: 1, connectTimeoutMs: 1000 });
    const offline = await startTestServer({ sql: unreachable });
    try {
      const res = await fetch(`${offline.baseUrl}/auth/oauth2/start?attempt=0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("cannot reach its database");
    } finally {
      await offline.close();
      await unreachable.end();
    }
  });
});
