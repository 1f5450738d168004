/**
 * Retry advice on Connect unary errors (behaviour.md §1, §9): an outcome that is not known
 * (`deadline_exceeded`, `unknown`) tells SDKs not to retry a method that is not idempotent,
 * and leaves idempotent ones to their retry policy.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedOrganization, startTestServer, type TestServer } from "../testing/index.js";
import { retryHeaders } from "./error-response.js";

let server: TestServer;
let token: string;

beforeAll(async () => {
  // A deadline no call can meet: every method answers deadline_exceeded.
  server = await startTestServer({ config: { requestTimeoutMs: 1 } });
  token = (await seedOrganization(server.sql)).admin.token;
});
afterAll(() => server?.close());

const post = (method: string, body: unknown) =>
  fetch(`${server.baseUrl}/gitpod.v1.RunnerService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

describe("retry advice", () => {
  it("says x-should-retry: false when a create's outcome is not known", async () => {
    const res = await post("CreateRunner", { name: "maybe created", provider: "RUNNER_PROVIDER_LINUX_HOST" });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe("deadline_exceeded");
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  it("leaves a read that ran out of time to the client's retry policy", async () => {
    const res = await post("GetRunner", { runnerId: "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b" });
    expect(res.status).toBe(504);
    expect(res.headers.get("x-should-retry")).toBeNull();
  });

  it("advises per code: never for unfixable errors, not for unknown outcomes of writes, Retry-After for unavailable", () => {
    expect(retryHeaders(Code.InvalidArgument)).toEqual({ "x-should-retry": "false" });
    expect(retryHeaders(Code.Unknown, false)).toEqual({ "x-should-retry": "false" });
    expect(retryHeaders(Code.Unknown, true)).toEqual({});
    expect(retryHeaders(Code.DeadlineExceeded, false)).toEqual({ "x-should-retry": "false" });
    expect(retryHeaders(Code.Unavailable)).toEqual({ "retry-after": "1" });
    expect(retryHeaders(Code.ResourceExhausted)).toEqual({ "retry-after": "1" });
  });
});
