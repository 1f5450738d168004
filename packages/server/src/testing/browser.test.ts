import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { launchBrowser, type TestBrowser } from "./browser.js";

let browser: TestBrowser;
const page = createServer((req, res) => {
  if (req.url === "/set") {
    res.setHeader("set-cookie", "probe=1; HttpOnly; SameSite=Lax; Path=/");
    res.setHeader("content-type", "text/html");
    res.end("<button id=go onclick=\"document.title='clicked'\">Go</button>");
    return;
  }
  res.setHeader("content-type", "text/plain");
  res.end(req.headers.cookie ?? "no cookie");
});
let base: string;

beforeAll(async () => {
  browser = await launchBrowser();
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await browser?.close();
  page.close();
});

test("the test browser renders a page, clicks, and keeps cookies per context", async () => {
  const first = await browser.newContext();
  const tab = await first.newPage();
  await tab.goto(`${base}/set`);
  await tab.getByRole("button", { name: "Go" }).click();
  expect(await tab.title()).toBe("clicked");
  await tab.goto(`${base}/echo`);
  expect(await tab.textContent("body")).toBe("probe=1");

  const second = await browser.newContext();
  const other = await second.newPage();
  await other.goto(`${base}/echo`);
  expect(await other.textContent("body")).toBe("no cookie");
  await first.close();
  await second.close();
});
