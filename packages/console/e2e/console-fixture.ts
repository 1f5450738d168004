/**
 * What every browser test needs: the real server (build() on real Postgres) serving the real
 * console build, with its public URL = the address the browser opens; an organization seeded
 * through the database helpers; a headless Chromium; and, on failure, the browser's console and
 * the RPCs it made (printed by `dumpOnFailure`).
 */

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createRunnerplaneClient, type RunnerplaneClient } from "@runnerplane/client";
import {
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "@runnerplane/server/testing";
import { launchBrowser, type TestBrowser } from "@runnerplane/server/testing/browser";
import type { BrowserContext, Page } from "playwright-core";

export const consoleDist = fileURLToPath(new URL("../dist/", import.meta.url));
export const artefacts = fileURLToPath(new URL("../test-results/", import.meta.url));

export interface ConsoleFixture {
  server: TestServer;
  org: SeededOrganization;
  /** The admin's API client (data set up and checked through the API, not the UI). */
  admin: RunnerplaneClient;
  browser: TestBrowser;
  /** Every Content-Security-Policy violation any page reported. */
  cspViolations: string[];
  /** A fresh browser profile with a page that records its console and RPC traffic. */
  newPage(width?: number): Promise<{ context: BrowserContext; page: Page; log: string[] }>;
  close(): Promise<void>;
}

export async function startConsole(): Promise<ConsoleFixture> {
  if (!existsSync(`${consoleDist}index.html`)) {
    throw new Error(`no console build in ${consoleDist}: run \`pnpm build\` (turbo builds it before tests)`);
  }
  await mkdir(artefacts, { recursive: true });
  const server = await startTestServer({ publicUrlIsBaseUrl: true, config: { consoleDir: consoleDist } });
  const org = await seedOrganization(server.sql, "Console Co");
  const admin = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
  const browser = await launchBrowser();
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];
  return {
    server,
    org,
    admin,
    browser,
    cspViolations,
    async newPage(width = 1280) {
      const context = await browser.browser.newContext({ viewport: { width, height: 900 }, baseURL: server.baseUrl });
      contexts.push(context);
      // Fail within seconds rather than the default 30 s; phases that take longer wait explicitly.
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const log: string[] = [];
      page.on("console", (m) => {
        log.push(`console.${m.type()}: ${m.text()}`);
        if (/Content Security Policy|Refused to (load|execute|apply|connect)/i.test(m.text()))
          cspViolations.push(m.text());
      });
      page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
      page.on("response", (r) => {
        const path = new URL(r.url()).pathname;
        if (path.startsWith("/gitpod.v1.") || path.startsWith("/auth/")) log.push(`${r.status()} ${path}`);
      });
      return { context, page, log };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await server.close();
    },
  };
}

/** Signs in on the sign-in page with a personal access token, as a person would. */
export async function signInWithToken(page: Page, token: string) {
  await page.goto("/runners");
  await page.getByLabel("Personal access token").fill(token);
  await page.getByRole("button", { name: "Sign in with token" }).click();
  await page.getByRole("heading", { name: "Runners", level: 1 }).waitFor();
}

/** Nothing on the page is wider than the viewport (no sideways scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export async function screenshot(page: Page, name: string) {
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: `${artefacts}${name}-${width}.png`, fullPage: true });
}
