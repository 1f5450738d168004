/** Page routes: the front door's place for endpoints that are not RPCs (pages.ts). */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../logging/index.js";
import { createFrontDoor } from "./front-door.js";

const server = createServer(
  createFrontDoor({
    handlers: [],
    log: silentLogger,
    corsOrigins: [],
    corsAllowedHeaders: [],
    maxBodyBytes: 1024,
    requestTimeoutMs: 1000,
    ready: async () => ({ ok: true }),
    pages: [
      { path: "/auth/exact", handle: (_req, res, info) => void res.end(`exact ${info.id.length}`) },
      { path: "/docs/", prefix: true, handle: (req, res) => void res.end(`prefix ${req.url}`) },
      {
        path: "/broken",
        handle: () => {
          throw new Error("the page failed");
        },
      },
    ],
  }),
);
let base: string;
beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
beforeAll(() => {
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("answers a page's exact path, with the request id it gave the request", async () => {
  const res = await fetch(`${base}/auth/exact?x=1`);
  expect(await res.text()).toBe("exact 36");
  expect(res.headers.get("x-request-id")).toHaveLength(36);
  expect((await fetch(`${base}/auth/exact/more`)).status).toBe(404);
});

it("answers every path under a prefix route", async () => {
  expect(await (await fetch(`${base}/docs/a/b?c`)).text()).toBe("prefix /docs/a/b?c");
});

it("turns a page that throws into a plain 500 without the error's text", async () => {
  const res = await fetch(`${base}/broken`);
  expect(res.status).toBe(500);
  expect(await res.text()).toBe("internal error");
});
