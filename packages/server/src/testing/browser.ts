/**
 * A real headless Chromium for end-to-end tests, from the npm package @sparticuz/chromium
 * (it ships the binary brotli-compressed; nothing is downloaded), driven by playwright-core.
 *
 * The package unpacks the binary into the temporary directory the first time and treats an
 * existing file there as done, so two test processes unpacking at once could run a
 * half-written binary. The unpacking runs under a lock directory, and a marker written
 * after it finished tells later processes that the files are whole.
 */
import { existsSync } from "node:fs";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import chromium from "@sparticuz/chromium";
import { type Browser, type BrowserContext, chromium as playwright } from "playwright-core";

/**
 * Flags of the package's own set that would make the browser less real: web security and
 * site isolation stay on (tests check cookies and origins), and each page keeps its process.
 */
const droppedFlags = new Set([
  "--single-process",
  "--disable-web-security",
  "--allow-running-insecure-content",
  "--disable-site-isolation-trials",
  "--disable-features=AudioServiceOutOfProcess,IsolateOrigins,site-per-process",
]);

/** This machine has no route outside: without these, Chromium keeps dialling Google. */
const quietFlags = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

let executable: Promise<string> | undefined;

/** The unpacked Chromium binary, unpacked once per machine. */
export function chromiumExecutable(): Promise<string> {
  executable ??= unpackOnce();
  return executable;
}

async function unpackOnce(): Promise<string> {
  const marker = join(tmpdir(), "runnerplane-chromium-147.ok");
  if (existsSync(marker)) return chromium.executablePath();
  const lock = join(tmpdir(), "runnerplane-chromium.lock");
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock older than two minutes belongs to a process that died while unpacking.
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 120_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 2 minutes for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    if (!existsSync(marker)) {
      // Whatever a process that died while unpacking left behind is not trusted.
      await rm(join(tmpdir(), "chromium"), { force: true });
      const path = await chromium.executablePath();
      await writeFile(marker, path);
    }
    return await chromium.executablePath();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh context: its own cookies and storage, like another person's browser. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // Playwright gives the browser a fresh profile of its own and removes it on close.
  const browser = await playwright.launch({
    executablePath: await chromiumExecutable(),
    headless: true,
    args: [...chromium.args.filter((flag) => !droppedFlags.has(flag)), ...quietFlags],
  });
  return {
    browser,
    newContext: () => browser.newContext(),
    close: () => browser.close(),
  };
}
