import { describe, expect, it } from "vitest";
import type { NodeRequest } from "./json-body.js";
import { requestUrl } from "./node-request.js";

/** The parts of Node's request requestUrl reads: HTTP/1.1 (Host header) or HTTP/2 (authority). */
const h1 = (host: string, url: string, encrypted = false) =>
  ({ headers: { host }, url, socket: encrypted ? { encrypted: true } : {} }) as unknown as NodeRequest;
const h2 = (authority: string, url: string) => ({ headers: {}, url, authority, socket: {} }) as unknown as NodeRequest;

describe("requestUrl", () => {
  it("builds the URL connect-node builds, for each origin and path, asked again or not", () => {
    for (let round = 0; round < 2; round++) {
      expect(requestUrl(h1("localhost:8080", "/gitpod.v1.RunnerService/GetRunner"))).toBe(
        "http://localhost:8080/gitpod.v1.RunnerService/GetRunner",
      );
      expect(requestUrl(h1("api.example.com", "/gitpod.v1.RunnerService/GetRunner", true))).toBe(
        "https://api.example.com/gitpod.v1.RunnerService/GetRunner",
      );
      expect(requestUrl(h2("127.0.0.1:9000", "/a/../gitpod.v1.RunnerService/GetRunner?x=1"))).toBe(
        "http://127.0.0.1:9000/gitpod.v1.RunnerService/GetRunner?x=1",
      );
    }
  });

  it("keeps origins apart: the same path under another host is another URL", () => {
    const path = "/gitpod.v1.RunnerService/ListRunners";
    expect(requestUrl(h1("one.example", path))).toBe(`http://one.example${path}`);
    expect(requestUrl(h1("two.example", path))).toBe(`http://two.example${path}`);
  });

  it("builds long and many distinct URLs as well as the few it remembers", () => {
    const long = `/${"x".repeat(2_000)}`;
    expect(requestUrl(h1("localhost", long))).toBe(`http://localhost${long}`);
    for (let i = 0; i < 2_500; i++) expect(requestUrl(h1(`h${i}.example`, "/p"))).toBe(`http://h${i}.example/p`);
  });
});
