/**
 * Two organizations with every kind of caller and runner that authorization distinguishes.
 * The access matrices (auth/*.test.ts, and the rows later issues add) are written against
 * these names.
 */
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerRole } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll } from "vitest";
import type { Caller } from "../auth/index.js";
import type { Sql } from "../db/index.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { inProcessClients } from "./in-process.js";
import { seedGroup, seedMember, seedOrganization } from "./seed.js";

export type CallerName =
  | "A admin"
  | "A member"
  | "A service account"
  | "A policy admin"
  | "A policy user"
  | "A user-runner creator"
  | "A org runner itself"
  | "B admin"
  | "B member";

export interface TenancyFixture {
  organizations: { A: string; B: string };
  runners: {
    /** REMOTE runner of org A, created by A admin; group "ops" has ADMIN, "devs" USER on it. */
    orgRunner: string;
    /** LOCAL runner of org A, created by "A user-runner creator". */
    userRunner: string;
    /** REMOTE runner of org B. */
    otherOrgRunner: string;
  };
  /** Bearer token of each caller. */
  tokens: Record<CallerName, string>;
  /** The Caller each token authenticates as (for testing helpers directly). */
  callers: Record<CallerName, Caller>;
}

export async function createTenancyFixture(sql: Sql): Promise<TenancyFixture> {
  const a = await seedOrganization(sql, "Org A");
  const b = await seedOrganization(sql, "Org B");
  const orgA = a.organization.id;
  const policyAdmin = await seedMember(sql, orgA, { name: "A ops engineer" });
  const policyUser = await seedMember(sql, orgA, { name: "A developer" });
  const creator = await seedMember(sql, orgA, { name: "A laptop owner" });

  // Runners, policies and the runner's own token come through the API, as users get them.
  const asAdminA = inProcessClients(sql, a.admin.token);
  const created = await asAdminA.runners.createRunner({ name: "A fleet", provider: RunnerProvider.AWS_EC2 });
  const orgRunner = created.runner?.runnerId as string;
  const userRunner = (
    await inProcessClients(sql, creator.token).runners.createRunner({
      name: "A laptop",
      provider: RunnerProvider.LINUX_HOST,
    })
  ).runner?.runnerId as string;
  const otherOrgRunner = (
    await inProcessClients(sql, b.admin.token).runners.createRunner({ name: "B fleet", provider: RunnerProvider.GCP })
  ).runner?.runnerId as string;
  const ops = await seedGroup(sql, orgA, "ops", [policyAdmin.member.id]);
  const devs = await seedGroup(sql, orgA, "devs", [policyUser.member.id]);
  await asAdminA.runners.createRunnerPolicy({ runnerId: orgRunner, groupId: ops.id, role: RunnerRole.ADMIN });
  await asAdminA.runners.createRunnerPolicy({ runnerId: orgRunner, groupId: devs.id, role: RunnerRole.USER });
  const { accessToken: runnerToken } = await inProcessClients(sql, undefined).identity.exchangeToken({
    exchangeToken: created.exchangeToken,
  });

  const member = (m: { member: { id: string; kind: string; role: "admin" | "member" } }, org: string): Caller => ({
    subject: {
      id: m.member.id,
      principal: m.member.kind === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER,
    },
    organizationId: org,
    orgRole: m.member.role,
    tokenId: "",
    credential: "token",
  });
  const orgB = b.organization.id;
  return {
    organizations: { A: orgA, B: orgB },
    runners: { orgRunner, userRunner, otherOrgRunner },
    tokens: {
      "A admin": a.admin.token,
      "A member": a.member.token,
      "A service account": a.serviceAccount.token,
      "A policy admin": policyAdmin.token,
      "A policy user": policyUser.token,
      "A user-runner creator": creator.token,
      "A org runner itself": runnerToken,
      "B admin": b.admin.token,
      "B member": b.member.token,
    },
    callers: {
      "A admin": member(a.admin, orgA),
      "A member": member(a.member, orgA),
      "A service account": member(a.serviceAccount, orgA),
      "A policy admin": member(policyAdmin, orgA),
      "A policy user": member(policyUser, orgA),
      "A user-runner creator": member(creator, orgA),
      "A org runner itself": {
        subject: { id: orgRunner, principal: Principal.RUNNER },
        organizationId: orgA,
        orgRole: undefined,
        tokenId: "",
        credential: "token",
      },
      "B admin": member(b.admin, orgB),
      "B member": member(b.member, orgB),
    },
  };
}

/**
 * A fresh database with the tenancy fixture, for the test file that calls this at its top:
 * made before its tests, dropped after them. Read `db` and `fx` in tests and hooks.
 */
export function useTenancyDatabase(): { readonly db: TestDatabase; readonly fx: TenancyFixture } {
  const held = {} as { db: TestDatabase; fx: TenancyFixture };
  beforeAll(async () => {
    held.db = await createTestDatabase();
    held.fx = await createTenancyFixture(held.db.sql);
  });
  afterAll(() => held.db.drop());
  return held;
}
