/**
 * Every runner method, called exactly as a published Gitpod HTTP SDK calls it: plain
 * `fetch` POST under `/api`, a JSON body, a bearer header, no Connect headers, and the
 * follow-up page of a list as `?token=…&pageSize=…` on the URL. Checks the JSON shapes the
 * documentation shows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedGroup, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";

let server: TestServer;
let adminToken: string;
let groupId: string;
beforeAll(async () => {
  server = await startTestServer();
  const org = await seedOrganization(server.sql, "SDK Users");
  adminToken = org.admin.token;
  groupId = (await seedGroup(server.sql, org.organization.id, "platform", [org.member.member.id])).id;
});
afterAll(() => server.close());

async function call<T = Record<string, unknown>>(
  method: string,
  body: unknown,
  token: string | undefined = adminToken,
  query = "",
): Promise<T> {
  const res = await fetch(`${server.baseUrl}/api/gitpod.v1.${method}${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

describe("a published HTTP SDK's view of the runner API", () => {
  it("walks through every runner method", async () => {
    const created = await call<{ runner: { runnerId: string }; exchangeToken: string; accessToken: string }>(
      "RunnerService/CreateRunner",
      { name: "SDK runner", provider: "RUNNER_PROVIDER_AWS_EC2", spec: { configuration: { region: "us-west" } } },
    );
    expect(Object.keys(created).sort()).toEqual(["accessToken", "exchangeToken", "runner"]);
    const runnerId = created.runner.runnerId;

    const got = await call<{ runner: Record<string, unknown> }>("RunnerService/GetRunner", { runnerId });
    expect(got.runner).toMatchObject({ runnerId, name: "SDK runner", kind: "RUNNER_KIND_REMOTE" });

    for (let i = 0; i < 2; i++)
      await call("RunnerService/CreateRunner", { name: `extra ${i}`, provider: "RUNNER_PROVIDER_GCP" });
    const first = await call<{ runners: unknown[]; pagination: { nextToken: string } }>("RunnerService/ListRunners", {
      pagination: { pageSize: 2 },
    });
    expect(first.runners).toHaveLength(2);
    const second = await call<{ runners: unknown[]; pagination?: { nextToken?: string } }>(
      "RunnerService/ListRunners",
      {},
      adminToken,
      `?token=${encodeURIComponent(first.pagination.nextToken)}&pageSize=2`,
    );
    expect(second.runners).toHaveLength(1);
    expect(second.pagination?.nextToken).toBe("");

    expect(await call("RunnerService/UpdateRunner", { runnerId, name: "SDK runner v2" })).toEqual({});

    const tokens = await call<{ exchangeToken: string; accessToken: string }>("RunnerService/CreateRunnerToken", {
      runnerId,
    });
    expect(tokens.exchangeToken).toMatch(/^rp_exchange_/);
    const logs = await call<{ accessToken: string }>("RunnerService/CreateRunnerLogsToken", { runnerId });
    expect(logs.accessToken).toMatch(/^rp_logs_/);

    // The runner's side: exchange (no bearer), sign up with a base64 key, report in.
    const { accessToken } = await call<{ accessToken: string }>(
      "IdentityService/ExchangeToken",
      { exchangeToken: tokens.exchangeToken },
      undefined,
    );
    const signedUp = await call(
      "RunnerInteractionService/Signup",
      { publicKey: Buffer.alloc(32, 9).toString("base64") },
      accessToken,
    );
    expect(signedUp).toEqual({ runnerId });
    expect(await call("RunnerInteractionService/MarkRunnerActive", { runnerId }, accessToken)).toEqual({});
    const active = await call<{ runner: { status: { phase: string; publicKey: string } } }>("RunnerService/GetRunner", {
      runnerId,
    });
    expect(active.runner.status).toMatchObject({
      phase: "RUNNER_PHASE_ACTIVE",
      publicKey: Buffer.alloc(32, 9).toString("base64"),
    });

    const policy = await call("RunnerService/CreateRunnerPolicy", { runnerId, groupId, role: "RUNNER_ROLE_USER" });
    expect(policy).toEqual({ policy: { groupId, role: "RUNNER_ROLE_USER" } });
    const updated = await call("RunnerService/UpdateRunnerPolicy", { runnerId, groupId, role: "RUNNER_ROLE_ADMIN" });
    expect(updated).toEqual({ policy: { groupId, role: "RUNNER_ROLE_ADMIN" } });
    const policies = await call("RunnerService/ListRunnerPolicies", { runnerId }, adminToken, "?pageSize=10");
    expect(policies).toEqual({ policies: [{ groupId, role: "RUNNER_ROLE_ADMIN" }], pagination: { nextToken: "" } });
    expect(await call("RunnerService/DeleteRunnerPolicy", { runnerId, groupId })).toEqual({});

    // A signed-up runner is asked to go, then acknowledges.
    expect(await call("RunnerService/DeleteRunner", { runnerId })).toEqual({});
    const deleting = await call<{ runner: { status: { phase: string } } }>("RunnerService/GetRunner", { runnerId });
    expect(deleting.runner.status.phase).toBe("RUNNER_PHASE_DELETING");
    expect(await call("RunnerService/DeleteRunner", { runnerId }, accessToken)).toEqual({});
    const gone = await fetch(`${server.baseUrl}/api/gitpod.v1.RunnerService/GetRunner`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ runnerId }),
    });
    expect(gone.status).toBe(404);
    expect(gone.headers.get("x-should-retry")).toBe("false");
  });
});
