/**
 * The console's files over the real server: headers (CSP, caching), the SPA fallback for
 * client-side routes, and that API paths keep their own answers. A small stand-in build in a
 * temporary directory keeps this independent of packages/console (whose own e2e tests serve
 * the real build).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/index.js";
import { defaultConsoleDir } from "./console-assets.js";

const indexHtml =
  '<!doctype html><html><head><script type="module" src="/assets/index-AbC123xy.js"></script></head></html>';
const script = `console.log(${JSON.stringify("x".repeat(2000))});`;

let dir: string;
let server: TestServer;
let unbuilt: TestServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "console-"));
  await mkdir(join(dir, "assets"));
  await writeFile(join(dir, "index.html"), indexHtml);
  await writeFile(join(dir, "assets", "index-AbC123xy.js"), script);
  await writeFile(join(dir, "favicon.svg"), "<svg/>");
  server = await startTestServer({ config: { consoleDir: dir } });
  unbuilt = await startTestServer({ config: { consoleDir: join(dir, "missing") } });
});
afterAll(async () => {
  await server.close();
  await unbuilt.close();
  await rm(dir, { recursive: true, force: true });
});

const html = { accept: "text/html,application/xhtml+xml" };

describe("consolePage", () => {
  it("serves index.html at / with a strict Content-Security-Policy and no caching", async () => {
    const res = await fetch(`${server.baseUrl}/`, { headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await res.text()).toBe(indexHtml);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("answers a client-side route a browser opens with index.html", async () => {
    for (const path of ["/runners", "/runners/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", "/settings/tokens?x=1"]) {
      const res = await fetch(`${server.baseUrl}${path}`, { headers: html });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(indexHtml);
    }
  });

  it("caches hashed assets forever and gzips them for clients that accept it", async () => {
    const res = await fetch(`${server.baseUrl}/assets/index-AbC123xy.js`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(await res.text()).toBe(script);
  });

  it("revalidates files of the build that carry no hash", async () => {
    const res = await fetch(`${server.baseUrl}/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers a missing asset with 404 instead of index.html", async () => {
    const res = await fetch(`${server.baseUrl}/assets/index-Missing1.js`, { headers: html });
    expect(res.status).toBe(404);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("leaves API paths and non-browser requests to the front door", async () => {
    const rpc = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/NoSuchMethod`, { headers: html });
    expect(rpc.status).toBe(404);
    expect(((await rpc.json()) as { code: string }).code).toBe("unimplemented");
    const api = await fetch(`${server.baseUrl}/api/nothing`, { headers: html });
    expect(((await api.json()) as { code: string }).code).toBe("not_found");
    const curl = await fetch(`${server.baseUrl}/no/such/path`);
    expect(curl.status).toBe(404);
    expect(((await curl.json()) as { code: string }).code).toBe("not_found");
    const post = await fetch(`${server.baseUrl}/runners`, { method: "POST", headers: html });
    expect(post.status).toBe(404);
  });

  it("says how to build the console when its files are missing", async () => {
    const res = await fetch(`${unbuilt.baseUrl}/`, { headers: html });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("pnpm build");
  });
});

describe("defaultConsoleDir", () => {
  it("is packages/console/dist of this checkout, wherever the server is started from", () => {
    const repo = fileURLToPath(new URL("../../../../", import.meta.url));
    expect(resolve(defaultConsoleDir)).toBe(resolve(repo, "packages/console/dist"));
  });
});
