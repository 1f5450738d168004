/**
 * The client against a live server, over every protocol it offers.
 */
import {
  Code,
  ConnectError,
  createRunnerplaneClient,
  errorCode,
  type Protocol,
  type RunnerplaneClient,
} from "@runnerplane/client";
import { ResourceType } from "@runnerplane/client/gitpod/v1/event_pb";
import { ResourceRole } from "@runnerplane/client/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/client/gitpod/v1/identity_pb";
import { OrganizationRole } from "@runnerplane/client/gitpod/v1/organization_pb";
import { RunnerKind, RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { seedOrganization, startTestServer, type TestServer } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (await seedOrganization(server.sql, "Client Co")).admin.token;
});
afterAll(() => server.close());

const protocols: [string, Protocol, boolean | undefined][] = [
  ["Connect JSON", "connect", undefined],
  ["Connect binary", "connect", true],
  ["gRPC", "grpc", undefined],
  ["gRPC-Web", "grpc-web", undefined],
];

describe.each(protocols)("over %s", (_name, protocol, binary) => {
  let client: RunnerplaneClient;
  beforeAll(() => {
    client = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token,
      protocol,
      ...(binary === undefined ? {} : { binary }),
    });
  });

  it("authenticates with the token and creates and reads runners", async () => {
    const { subject } = await client.identity.getAuthenticatedIdentity({});
    expect(subject?.id).toMatch(/^[0-9a-f-]{36}$/);
    const { runner } = await client.runners.createRunner({
      name: `made over ${protocol}`,
      provider: RunnerProvider.GCP,
    });
    const got = await client.runners.getRunner({ runnerId: runner?.runnerId ?? "" });
    expect(got.runner?.name).toBe(`made over ${protocol}`);
  });

  it("reports errors as Connect codes", async () => {
    const error = await client.runners.getRunner({ runnerId: "00000000-0000-4000-8000-000000000000" }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(errorCode(error)).toBe(Code.NotFound);
  });
});

describe("iterating a list", () => {
  it("walks more than three pages lazily, honouring the filter", async () => {
    const org = await seedOrganization(server.sql, "Many Runners Co");
    const client = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
    const made: string[] = [];
    for (let i = 0; i < 9; i++) {
      const provider = i % 3 === 0 ? RunnerProvider.LINUX_HOST : RunnerProvider.AWS_EC2;
      const { runner } = await client.runners.createRunner({ name: `runner ${i}`, provider });
      if (provider === RunnerProvider.AWS_EC2) made.push(runner?.runnerId ?? "");
    }
    let pages = 0;
    const counting = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token: org.admin.token,
      interceptors: [
        (next) => (req) => {
          pages++;
          return next(req);
        },
      ],
    });
    const seen: string[] = [];
    for await (const runner of counting.iterate.runners({
      filter: { kinds: [RunnerKind.REMOTE] },
      pagination: { pageSize: 1 },
    })) {
      seen.push(runner.runnerId);
      if (seen.length === 2) expect(pages).toBe(2); // fetched as the loop goes, not up front
    }
    expect(seen).toEqual(made);
    expect(pages).toBe(6); // six runners, one per page, then nothing more to fetch
  });

  it("stops fetching when the loop stops", async () => {
    let calls = 0;
    const client = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token,
      interceptors: [
        (next) => (req) => {
          calls++;
          return next(req);
        },
      ],
    });
    for await (const _ of client.iterate.runners({ pagination: { pageSize: 1 } })) break;
    expect(calls).toBe(1);
  });
});

describe("people and access", () => {
  it("manages members, groups with role assignments, and service accounts, and iterates their lists", async () => {
    const org = await seedOrganization(server.sql, "People Co");
    const organizationId = org.organization.id;
    const client = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token, binary: true });
    const { user } = await client.users.getAuthenticatedUser({});
    expect(user?.id).toBe(org.admin.member.id);

    const memberId = org.member.member.id;
    await client.organization.setRole({ organizationId, userId: memberId, role: OrganizationRole.ADMIN });
    const members: string[] = [];
    for await (const m of client.iterate.members({ organizationId, pagination: { pageSize: 1 } })) {
      members.push(`${m.fullName}:${OrganizationRole[m.role]}`);
    }
    expect(members).toEqual(["People Co admin:ADMIN", "People Co member:ADMIN"]);

    const { runner } = await client.runners.createRunner({ name: "people fleet", provider: RunnerProvider.GCP });
    const { group } = await client.groups.createGroup({ organizationId, name: "ops" });
    const groupId = group?.id ?? "";
    await client.groups.createMembership({ groupId, subject: { id: memberId, principal: Principal.USER } });
    await client.groups.createRoleAssignment({
      groupId,
      resourceType: ResourceType.RUNNER,
      resourceId: runner?.runnerId ?? "",
      resourceRole: ResourceRole.RUNNER_ADMIN,
    });
    const names = async <T>(items: AsyncIterable<T>, pick: (item: T) => string) => {
      const out: string[] = [];
      for await (const item of items) out.push(pick(item));
      return out;
    };
    expect(await names(client.iterate.groups(), (g) => g.name)).toEqual(["ops"]);
    expect(await names(client.iterate.memberships({ groupId }), (m) => m.name)).toEqual(["People Co member"]);
    expect(await names(client.iterate.roleAssignments(), (a) => ResourceRole[a.resourceRole])).toEqual([
      "RUNNER_ADMIN",
    ]);
    // The same fact as RunnerService's policy.
    const { policies } = await client.runners.listRunnerPolicies({ runnerId: runner?.runnerId ?? "" });
    expect(policies.map((p) => p.groupId)).toEqual([groupId]);

    const { serviceAccount } = await client.serviceAccounts.createServiceAccount({
      name: "ci",
      validUntil: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400), nanos: 0 },
    });
    const { token: ciToken } = await client.serviceAccounts.createServiceAccountAccessToken({
      serviceAccountId: serviceAccount?.id ?? "",
    });
    const ci = createRunnerplaneClient({ baseUrl: server.baseUrl, token: ciToken });
    await ci.serviceAccounts.createServiceAccountToken({ description: "deploys" });
    expect(await names(ci.iterate.serviceAccountTokens(), (t) => t.description)).toEqual(["", "deploys"]);
    expect(await names(client.iterate.serviceAccounts(), (a) => a.name)).toEqual(["People Co robot", "ci"]);
    await client.users.createPersonalAccessToken({ userId: org.admin.member.id, description: "laptop" });
    expect(await names(client.iterate.personalAccessTokens(), (t) => t.description)).toContain("laptop");
  });
});

describe("headers", () => {
  it("sends the bearer token from a function, per request", async () => {
    let asked = 0;
    const client = createRunnerplaneClient({
      baseUrl: server.baseUrl,
      token: () => {
        asked++;
        return token;
      },
    });
    await client.identity.getAuthenticatedIdentity({});
    await client.identity.getAuthenticatedIdentity({});
    expect(asked).toBe(2);
  });

  it("passes per-call timeouts and abort signals through", async () => {
    const client = createRunnerplaneClient({ baseUrl: server.baseUrl, token });
    const controller = new AbortController();
    controller.abort();
    const aborted = await client.identity.getAuthenticatedIdentity({}, { signal: controller.signal }).catch((e) => e);
    expect(errorCode(aborted)).toBe(Code.Canceled);
    // 1 ms is shorter than any round trip over HTTP.
    const timedOut = await client.identity.getAuthenticatedIdentity({}, { timeoutMs: 1 }).catch((e) => e);
    expect(errorCode(timedOut)).toBe(Code.DeadlineExceeded);
  });
});
