/**
 * Signing in when a server page sent the browser to sign-in with `?return_to=`: the console
 * goes back there afterwards (a full page load), and only to a path on its own origin.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, startConsole } from "./console-fixture";

let fx: ConsoleFixture;
beforeAll(async () => {
  fx = await startConsole();
});
afterAll(() => fx?.close());

async function signInAt(path: string): Promise<Page> {
  const { page } = await fx.newPage();
  await page.goto(path);
  await page.getByLabel("Personal access token").fill(fx.org.admin.token);
  await page.getByRole("button", { name: "Sign in with token" }).click();
  return page;
}

describe("signing in with a return_to", () => {
  it("goes to the return_to path after a personal-access-token sign-in", async () => {
    const page = await signInAt(`/?return_to=${encodeURIComponent("/accounts")}`);
    await page.waitForURL((url) => url.pathname === "/accounts");
    expect(new URL(page.url()).search).toBe("");
  });

  it("ignores a return_to on another origin and stays in the console", async () => {
    const page = await signInAt(`/?return_to=${encodeURIComponent("//evil.example/x")}`);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(new URL(page.url()).origin).toBe(fx.server.baseUrl);
  });
});
