/**
 * Runner policies over the real server (behaviour.md §2, §4, §7; docs/runners.md): create,
 * update, delete and list, that a policy change gives or takes a group member's runner
 * admin role at once, keyset pagination (also as a published HTTP SDK drives it), and that
 * removing a runner removes its policies. Who may call what is in auth/access-matrix.test.ts.
 */
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { type RunnerPolicy, RunnerRole } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  type CallerName,
  callError,
  createTenancyFixture,
  type ManualClock,
  manualClock,
  seedGroup,
  seedMember,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";

let server: TestServer;
let fx: TenancyFixture;
let clock: ManualClock;
beforeAll(async () => {
  // A clock that only moves when told: policies list in (created_at, group_id) order at
  // millisecond precision, so "creation order" is only defined when creations are apart.
  clock = manualClock(new Date("2026-06-01T12:00:00Z"));
  server = await startTestServer({ clock });
  fx = await createTenancyFixture(server.sql);
});
afterAll(() => server.close());

const as = (caller: CallerName): Clients => clientsFor(server.baseUrl, fx.tokens[caller]);
const admin = (): Clients => as("A admin");

/** A new org runner of A, so that every test starts without policies. */
async function newOrgRunner(): Promise<string> {
  const { runner } = await admin().runners.createRunner({ name: "policy test fleet", provider: RunnerProvider.GCP });
  return runner?.runnerId as string;
}

/** A new group of org A (or B) with the given members. */
async function newGroup(memberIds: string[] = [], org: "A" | "B" = "A"): Promise<string> {
  return (await seedGroup(server.sql, fx.organizations[org], `group ${randomUUID()}`, memberIds)).id;
}

/** A new plain member of org A in a new group; its clients and the group. */
async function newGroupMember(): Promise<{ clients: Clients; groupId: string }> {
  const m = await seedMember(server.sql, fx.organizations.A, { name: `member ${randomUUID()}` });
  return { clients: clientsFor(server.baseUrl, m.token), groupId: await newGroup([m.member.id]) };
}

/** Renaming the runner: needs the runner admin role. */
const rename = (c: Clients, runnerId: string) => c.runners.updateRunner({ runnerId, name: `renamed ${Date.now()}` });

async function listAll(runnerId: string): Promise<RunnerPolicy[]> {
  return (await admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 100 } })).policies;
}

const unknownId = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";

describe("CreateRunnerPolicy", () => {
  it("stores and returns the policy", async () => {
    const runnerId = await newOrgRunner();
    const [adminGroup, userGroup] = [await newGroup(), await newGroup()];
    const created = await admin().runners.createRunnerPolicy({ runnerId, groupId: adminGroup, role: RunnerRole.ADMIN });
    expect(created.policy).toMatchObject({ groupId: adminGroup, role: RunnerRole.ADMIN });
    clock.advance(1);
    // A runner admin through a policy may manage policies too.
    const byPolicyAdmin = await as("A policy admin").runners.createRunnerPolicy({
      runnerId: fx.runners.orgRunner,
      groupId: userGroup,
      role: RunnerRole.USER,
    });
    expect(byPolicyAdmin.policy).toMatchObject({ groupId: userGroup, role: RunnerRole.USER });
    expect((await listAll(runnerId)).map((p) => [p.groupId, p.role])).toEqual([[adminGroup, RunnerRole.ADMIN]]);
    expect((await listAll(fx.runners.orgRunner)).map((p) => p.groupId)).toContain(userGroup);
  });

  it("gives a group of another org the same not_found as an unknown group", async () => {
    const runnerId = await newOrgRunner();
    const groupOfB = await newGroup([], "B");
    const foreign = await callError(
      admin().runners.createRunnerPolicy({ runnerId, groupId: groupOfB, role: RunnerRole.USER }),
    );
    const unknown = await callError(
      admin().runners.createRunnerPolicy({ runnerId, groupId: unknownId, role: RunnerRole.USER }),
    );
    expect(foreign.code).toBe(Code.NotFound);
    expect(unknown.code).toBe(Code.NotFound);
    expect(foreign.rawMessage.replace(groupOfB, "ID")).toBe(unknown.rawMessage.replace(unknownId, "ID"));
    expect(await listAll(runnerId)).toEqual([]);
  });

  it("refuses user runners with failed_precondition", async () => {
    for (const caller of ["A admin", "A user-runner creator"] as const) {
      const err = await callError(
        as(caller).runners.createRunnerPolicy({
          runnerId: fx.runners.userRunner,
          groupId: await newGroup(),
          role: RunnerRole.ADMIN,
        }),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
    }
    expect(await listAll(fx.runners.userRunner)).toEqual([]);
  });

  it("allows one policy per (runner, group): a second one is already_exists, whatever its role", async () => {
    const runnerId = await newOrgRunner();
    const groupId = await newGroup();
    await admin().runners.createRunnerPolicy({ runnerId, groupId, role: RunnerRole.USER });
    for (const role of [RunnerRole.USER, RunnerRole.ADMIN]) {
      expect((await callError(admin().runners.createRunnerPolicy({ runnerId, groupId, role }))).code).toBe(
        Code.AlreadyExists,
      );
    }
    expect((await listAll(runnerId)).map((p) => [p.groupId, p.role])).toEqual([[groupId, RunnerRole.USER]]);
    // The same group on another runner is another policy.
    const other = await newOrgRunner();
    await admin().runners.createRunnerPolicy({ runnerId: other, groupId, role: RunnerRole.ADMIN });
  });

  it.each([
    ["UNSPECIFIED", RunnerRole.UNSPECIFIED],
    ["99 (not a RunnerRole)", 99 as RunnerRole],
  ])("refuses role %s with invalid_argument naming role (binary)", async (_label, role) => {
    const runnerId = await newOrgRunner();
    const err = await callError(admin().runners.createRunnerPolicy({ runnerId, groupId: await newGroup(), role }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("role: must be RUNNER_ROLE_ADMIN or RUNNER_ROLE_USER");
    expect(await listAll(runnerId)).toEqual([]);
  });

  it.each([
    // The handler's check: the field and what it must be.
    ["RUNNER_ROLE_UNSPECIFIED", "RUNNER_ROLE_UNSPECIFIED", /^role: must be RUNNER_ROLE_ADMIN or RUNNER_ROLE_USER$/],
    ["99", 99, /^role: must be RUNNER_ROLE_ADMIN or RUNNER_ROLE_USER$/],
    // The JSON decoder's: an enum name it does not know never becomes "unset" (behaviour.md §1).
    ["an unknown name", "RUNNER_ROLE_OWNER", /^role: "RUNNER_ROLE_OWNER" is not a value of gitpod.v1.RunnerRole$/],
  ])("refuses role %s with invalid_argument (JSON)", async (_label, role, message) => {
    const runnerId = await newOrgRunner();
    const res = await post("/gitpod.v1.RunnerService/CreateRunnerPolicy", fx.tokens["A admin"], {
      runnerId,
      groupId: await newGroup(),
      role,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-should-retry")).toBe("false");
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(message);
    expect(await listAll(runnerId)).toEqual([]);
  });

  it("refuses malformed ids with invalid_argument naming the field", async () => {
    const groupId = await newGroup();
    const badRunner = await callError(
      admin().runners.createRunnerPolicy({ runnerId: "not-a-uuid", groupId, role: RunnerRole.USER }),
    );
    expect(badRunner.code).toBe(Code.InvalidArgument);
    expect(badRunner.rawMessage).toMatch(/runner_id/);
    const badGroup = await callError(
      admin().runners.createRunnerPolicy({ runnerId: fx.runners.orgRunner, groupId: "ops", role: RunnerRole.USER }),
    );
    expect(badGroup.code).toBe(Code.InvalidArgument);
    expect(badGroup.rawMessage).toMatch(/group_id/);
  });
});

describe("UpdateRunnerPolicy", () => {
  it("changes the role, and the group's members gain and lose runner admin at once", async () => {
    const runnerId = await newOrgRunner();
    const { clients: member, groupId } = await newGroupMember();
    await admin().runners.createRunnerPolicy({ runnerId, groupId, role: RunnerRole.USER });
    expect((await callError(rename(member, runnerId))).code).toBe(Code.PermissionDenied);

    const promoted = await admin().runners.updateRunnerPolicy({ runnerId, groupId, role: RunnerRole.ADMIN });
    expect(promoted.policy).toMatchObject({ groupId, role: RunnerRole.ADMIN });
    await rename(member, runnerId);
    // Now a runner admin, the member may manage the runner's policies as well.
    expect((await member.runners.listRunnerPolicies({ runnerId })).policies).toHaveLength(1);

    const demoted = await admin().runners.updateRunnerPolicy({ runnerId, groupId, role: RunnerRole.USER });
    expect(demoted.policy).toMatchObject({ groupId, role: RunnerRole.USER });
    expect((await callError(rename(member, runnerId))).code).toBe(Code.PermissionDenied);
    // Still a runner user.
    await member.runners.getRunner({ runnerId });
    expect((await listAll(runnerId)).map((p) => p.role)).toEqual([RunnerRole.USER]);
  });

  it("answers not_found when the runner has no policy for the group", async () => {
    const runnerId = await newOrgRunner();
    const groupWithoutPolicy = await newGroup();
    // A policy for this group on another runner does not count.
    await admin().runners.createRunnerPolicy({
      runnerId: await newOrgRunner(),
      groupId: groupWithoutPolicy,
      role: RunnerRole.USER,
    });
    for (const groupId of [groupWithoutPolicy, unknownId]) {
      const err = await callError(admin().runners.updateRunnerPolicy({ runnerId, groupId, role: RunnerRole.ADMIN }));
      expect(err.code).toBe(Code.NotFound);
    }
    expect(await listAll(runnerId)).toEqual([]);
  });

  it("refuses role UNSPECIFIED with invalid_argument and leaves the policy alone", async () => {
    const runnerId = await newOrgRunner();
    const groupId = await newGroup();
    await admin().runners.createRunnerPolicy({ runnerId, groupId, role: RunnerRole.ADMIN });
    const err = await callError(
      admin().runners.updateRunnerPolicy({ runnerId, groupId, role: RunnerRole.UNSPECIFIED }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^role: /);
    expect((await listAll(runnerId)).map((p) => p.role)).toEqual([RunnerRole.ADMIN]);
  });
});

describe("DeleteRunnerPolicy", () => {
  it("removes the policy, the members lose the role at once, and a second delete is not_found", async () => {
    const runnerId = await newOrgRunner();
    const { clients: member, groupId } = await newGroupMember();
    const keep = await newGroup();
    await admin().runners.createRunnerPolicy({ runnerId, groupId, role: RunnerRole.ADMIN });
    await admin().runners.createRunnerPolicy({ runnerId, groupId: keep, role: RunnerRole.USER });
    await rename(member, runnerId);

    await admin().runners.deleteRunnerPolicy({ runnerId, groupId });
    expect((await callError(rename(member, runnerId))).code).toBe(Code.PermissionDenied);
    expect((await listAll(runnerId)).map((p) => p.groupId)).toEqual([keep]);

    expect((await callError(admin().runners.deleteRunnerPolicy({ runnerId, groupId }))).code).toBe(Code.NotFound);
    expect((await callError(admin().runners.deleteRunnerPolicy({ runnerId, groupId: unknownId }))).code).toBe(
      Code.NotFound,
    );
  });
});

describe("ListRunnerPolicies", () => {
  /** Seven groups with policies on a new runner, one clock tick apart; group ids in creation order. */
  async function sevenPolicies(): Promise<{ runnerId: string; groupIds: string[] }> {
    const runnerId = await newOrgRunner();
    const groupIds: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(1);
      const groupId = await newGroup();
      const role = i % 2 === 0 ? RunnerRole.ADMIN : RunnerRole.USER;
      await admin().runners.createRunnerPolicy({ runnerId, groupId, role });
      groupIds.push(groupId);
    }
    return { runnerId, groupIds };
  }

  it("pages through every policy exactly once, in creation order", async () => {
    const { runnerId, groupIds } = await sevenPolicies();
    const pages: string[][] = [];
    const tokens: string[] = [];
    let token = "";
    do {
      const page = await admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 3, token } });
      pages.push(page.policies.map((p) => p.groupId));
      token = page.pagination?.nextToken ?? "";
      tokens.push(token);
    } while (token !== "" && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(groupIds);
    expect(tokens.map((t) => t !== "")).toEqual([true, true, false]);
    // Roles come back as stored.
    expect((await listAll(runnerId)).map((p) => p.role)).toEqual(
      groupIds.map((_, i) => (i % 2 === 0 ? RunnerRole.ADMIN : RunnerRole.USER)),
    );
  });

  it("neither repeats nor skips policies created in the same millisecond", async () => {
    const runnerId = await newOrgRunner();
    clock.advance(1);
    const groupIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const groupId = await newGroup();
      await admin().runners.createRunnerPolicy({ runnerId, groupId, role: RunnerRole.USER });
      groupIds.push(groupId);
    }
    const seen: string[] = [];
    let token = "";
    do {
      const page = await admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 2, token } });
      seen.push(...page.policies.map((p) => p.groupId));
      token = page.pagination?.nextToken ?? "";
    } while (token !== "" && seen.length < 20);
    // Ties on created_at are broken by group id.
    expect(seen).toEqual([...groupIds].sort());
  });

  it("returns an empty first page with an empty next_token for a runner without policies", async () => {
    const page = await admin().runners.listRunnerPolicies({ runnerId: await newOrgRunner() });
    expect(page.policies).toEqual([]);
    expect(page.pagination?.nextToken ?? "").toBe("");
  });

  it("refuses a token issued for another runner's list with invalid_argument", async () => {
    const { runnerId } = await sevenPolicies();
    const first = await admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 3 } });
    const token = first.pagination?.nextToken as string;
    expect(token).not.toBe("");
    const err = await callError(
      admin().runners.listRunnerPolicies({ runnerId: fx.runners.orgRunner, pagination: { pageSize: 3, token } }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    // Nor is a token of another list method accepted.
    const runnersPage = await admin().runners.listRunners({ pagination: { pageSize: 1 } });
    const runnersToken = runnersPage.pagination?.nextToken as string;
    expect(runnersToken).not.toBe("");
    const other = await callError(
      admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 3, token: runnersToken } }),
    );
    expect(other.code).toBe(Code.InvalidArgument);
    // A tampered token neither.
    const tampered = await callError(
      admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 3, token: `x${token}` } }),
    );
    expect(tampered.code).toBe(Code.InvalidArgument);
  });

  it("refuses page_size 101 with invalid_argument; 100 is fine", async () => {
    const runnerId = fx.runners.orgRunner;
    const err = await callError(admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 101 } }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/page_size/);
    await admin().runners.listRunnerPolicies({ runnerId, pagination: { pageSize: 100 } });
  });

  it("pages as a published HTTP SDK does: JSON POST under /api, pagination in the query", async () => {
    const { runnerId, groupIds } = await sevenPolicies();
    const path = "/api/gitpod.v1.RunnerService/ListRunnerPolicies";
    type Page = { policies?: { groupId: string; role: string }[]; pagination?: { nextToken?: string } };
    const pages: Page[] = [];
    let query = "?pageSize=3";
    for (;;) {
      const res = await post(`${path}${query}`, fx.tokens["A admin"], { runnerId });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const page = (await res.json()) as Page;
      pages.push(page);
      const next = page.pagination?.nextToken ?? "";
      if (next === "" || pages.length >= 10) break;
      query = `?token=${encodeURIComponent(next)}&pageSize=3`;
    }
    expect(pages.map((p) => p.policies?.length ?? 0)).toEqual([3, 3, 1]);
    const policies = pages.flatMap((p) => p.policies ?? []);
    expect(policies.map((p) => p.groupId)).toEqual(groupIds);
    expect(policies.map((p) => p.role)).toEqual(
      groupIds.map((_, i) => (i % 2 === 0 ? "RUNNER_ROLE_ADMIN" : "RUNNER_ROLE_USER")),
    );

    // The query's pageSize overrides the body's, and is validated like it.
    const overridden = await post(`${path}?pageSize=2`, fx.tokens["A admin"], {
      runnerId,
      pagination: { pageSize: 5 },
    });
    expect(((await overridden.json()) as Page).policies).toHaveLength(2);
    const tooBig = await post(`${path}?pageSize=101`, fx.tokens["A admin"], { runnerId });
    expect(tooBig.status).toBe(400);
    expect(((await tooBig.json()) as { code: string }).code).toBe("invalid_argument");
  });
});

describe("removing a runner removes its policies", () => {
  const policyRows = async (runnerId: string) =>
    Number((await server.sql`select count(*)::int as n from runner_policies where runner_id = ${runnerId}`)[0]?.n);

  /** A new org runner that signed up (so only force or its acknowledgement removes it at once), with two policies. */
  async function signedUpRunnerWithPolicies(): Promise<{ runnerId: string; itself: Clients }> {
    const { runner, exchangeToken } = await admin().runners.createRunner({
      name: "doomed fleet",
      provider: RunnerProvider.AWS_EC2,
    });
    const runnerId = runner?.runnerId as string;
    const { accessToken } = await clientsFor(server.baseUrl, "").identity.exchangeToken({ exchangeToken });
    const itself = clientsFor(server.baseUrl, accessToken);
    await itself.interaction.signup({ publicKey: new Uint8Array(32).fill(1) });
    for (const role of [RunnerRole.ADMIN, RunnerRole.USER]) {
      await admin().runners.createRunnerPolicy({ runnerId, groupId: await newGroup(), role });
    }
    expect(await policyRows(runnerId)).toBe(2);
    return { runnerId, itself };
  }

  it("with force", async () => {
    const { runnerId } = await signedUpRunnerWithPolicies();
    await admin().runners.deleteRunner({ runnerId, force: true });
    expect((await callError(admin().runners.listRunnerPolicies({ runnerId }))).code).toBe(Code.NotFound);
    expect(
      (await callError(admin().runners.createRunnerPolicy({ runnerId, groupId: await newGroup(), role: 1 }))).code,
    ).toBe(Code.NotFound);
    expect(await policyRows(runnerId)).toBe(0);
  });

  it("once the runner acknowledges its deletion, not before", async () => {
    const { runnerId, itself } = await signedUpRunnerWithPolicies();
    await admin().runners.deleteRunner({ runnerId });
    // Asked to go, not gone yet: its policies still apply and are listed.
    expect(await listAll(runnerId)).toHaveLength(2);
    await itself.runners.deleteRunner({ runnerId });
    expect((await callError(admin().runners.listRunnerPolicies({ runnerId }))).code).toBe(Code.NotFound);
    expect(await policyRows(runnerId)).toBe(0);
  });
});

/** A JSON POST as a plain HTTP client sends it: no Connect headers, bearer token. */
function post(path: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}
