/**
 * The production bundle's size budget: every JavaScript and CSS file the build emits,
 * gzipped, at most 300 KB together (lazy-loaded pages included, so the budget cannot be met by
 * moving code out of the entry chunk). The entry chunk alone has a tighter limit.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { consoleDist } from "./console-fixture";

const budgetBytes = 300 * 1024;

async function gzippedSizes() {
  const dir = join(consoleDist, "assets");
  const files = (await readdir(dir)).filter((f) => /\.(js|css)$/.test(f));
  return Promise.all(
    files.map(async (f) => ({ file: f, gzipped: gzipSync(await readFile(join(dir, f)), { level: 9 }).length })),
  );
}

describe("the production bundle", () => {
  it("is at most 300 KB gzipped, all chunks together", async () => {
    const sizes = await gzippedSizes();
    expect(sizes.length).toBeGreaterThan(1);
    const total = sizes.reduce((sum, s) => sum + s.gzipped, 0);
    expect(total, JSON.stringify(sizes)).toBeLessThanOrEqual(budgetBytes);
  });

  it("loads secondary pages lazily, in chunks of their own", async () => {
    const names = (await gzippedSizes()).map((s) => s.file);
    for (const page of ["RunnerPage", "EnvironmentClassesPage", "AuditLogPage", "SsoPage"]) {
      expect(
        names.some((n) => n.startsWith(`${page}-`)),
        page,
      ).toBe(true);
    }
  });

  it("has no inline script in index.html (the Content-Security-Policy allows none)", async () => {
    const html = await readFile(join(consoleDist, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [tag, body] of scripts) {
      expect(tag).toMatch(/\bsrc="\/assets\//);
      expect(body?.trim()).toBe("");
    }
    expect(html).not.toMatch(/\sstyle=|<style/);
  });
});
