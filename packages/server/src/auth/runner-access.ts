/**
 * "May this caller do this to that runner?" — the one place that answers it
 * (behaviour.md §2, table in docs/identity.md). Handlers call authorizeRunner(); they never
 * compare orgs or roles themselves.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type postgres from "postgres";
import { readRunnerForAccess } from "../db/runner-access.js";
import type { DbRunner } from "../db/runners.js";
import type { Db } from "../db/sql.js";
import type { Caller } from "./caller.js";

/** A caller's role on one runner. `runner` is the runner principal acting on itself. */
export type RunnerRole = "admin" | "user" | "runner";

/** What authorization needs to know about a runner and the caller's groups. */
export interface RunnerAccessFacts {
  runnerId: string;
  organizationId: string;
  kind: "local" | "remote" | "local_configuration";
  creatorId: string;
  /** Roles the caller's groups hold on this runner through policies. */
  policyRoles: ("admin" | "user")[];
}

/**
 * The caller's role on the runner, or undefined when the caller may not even see it.
 * Pure: no database, so the rules are tested as a table.
 */
export function runnerRole(caller: Caller, facts: RunnerAccessFacts): RunnerRole | undefined {
  if (facts.organizationId !== caller.organizationId) return undefined;
  if (caller.subject.principal === Principal.RUNNER) {
    return caller.subject.id === facts.runnerId ? "runner" : undefined;
  }
  if (caller.orgRole === "admin") return "admin";
  if (facts.kind === "local") {
    // A user runner is visible to its creator (and org admins) only.
    return facts.creatorId === caller.subject.id ? "admin" : undefined;
  }
  return facts.policyRoles.includes("admin") ? "admin" : "user";
}

/**
 * The same rules as runnerRole(), as SQL conditions on a `runners` row aliased `r`, for
 * lists that must filter many rows at once. Keep the two in step: the access matrix and
 * the list tests exercise both.
 */
export function visibleRunnerCondition(sql: Db, caller: Caller): postgres.Fragment {
  if (caller.subject.principal === Principal.RUNNER) return sql`r.id = ${caller.subject.id}`;
  if (caller.orgRole === "admin") return sql`true`;
  return sql`(r.kind <> 'local' or r.creator_id = ${caller.subject.id})`;
}

/** Runners (row `r`) on which the caller is runner admin. */
export function administeredRunnerCondition(sql: Db, caller: Caller): postgres.Fragment {
  if (caller.subject.principal === Principal.RUNNER) return sql`false`;
  if (caller.orgRole === "admin") return sql`true`;
  return sql`((r.kind = 'local' and r.creator_id = ${caller.subject.id})
            or (r.kind <> 'local' and exists (
                  select 1 from runner_policies p join group_members gm on gm.group_id = p.group_id
                   where p.runner_id = r.id and p.role = 'admin' and gm.member_id = ${caller.subject.id})))`;
}

/**
 * Whether a role reads the runner's configuration secrets (the metrics password): runner
 * admins and the runner itself do; runner users get "" (behaviour.md §10).
 */
export function readsRunnerSecrets(role: RunnerRole): boolean {
  return role === "admin" || role === "runner";
}

/**
 * readsRunnerSecrets() as an SQL condition on a visible `runners` row aliased `r`: the
 * runner itself (a runner sees only itself) or a runner the caller administers.
 */
export function runnerSecretsReadableCondition(sql: Db, caller: Caller): postgres.Fragment {
  if (caller.subject.principal === Principal.RUNNER) return sql`r.id = ${caller.subject.id}`;
  return administeredRunnerCondition(sql, caller);
}

export interface AuthorizeRunnerOptions {
  /** The least role the method needs. */
  need: "user" | "admin";
  /** Whether the runner principal may call this method on itself. */
  runnerItself?: boolean;
}

export interface AuthorizedRunner {
  facts: RunnerAccessFacts;
  role: RunnerRole;
  /** The runner's row, read in the same query, so handlers need not read it again. */
  runner: DbRunner;
}

/**
 * Loads the runner and the caller's policy roles in one query and applies runnerRole():
 * `not_found` when the caller cannot see the runner (unknown, other org, someone else's
 * user runner — indistinguishable), `permission_denied` when it can but the role is short.
 */
export async function authorizeRunner(
  sql: Db,
  caller: Caller,
  runnerId: string,
  options: AuthorizeRunnerOptions,
): Promise<AuthorizedRunner> {
  const loaded = await loadRunnerAccessFacts(sql, caller, runnerId);
  if (!loaded) throw runnerNotFound(runnerId);
  const { facts, runner } = loaded;
  const role = runnerRole(caller, facts);
  if (!role) throw runnerNotFound(runnerId);
  const allowed = role === "runner" ? options.runnerItself === true : role === "admin" || options.need === "user";
  if (!allowed) {
    throw new ConnectError(
      role === "runner"
        ? "a runner may not call this method"
        : `this requires the ${options.need} role on runner ${runnerId}`,
      Code.PermissionDenied,
    );
  }
  return { facts, role, runner };
}

export function runnerNotFound(runnerId: string): ConnectError {
  return new ConnectError(`runner ${runnerId} not found`, Code.NotFound);
}

async function loadRunnerAccessFacts(
  sql: Db,
  caller: Caller,
  runnerId: string,
): Promise<{ facts: RunnerAccessFacts; runner: DbRunner } | undefined> {
  // One primary-key read, batched with the others of its turn (db/runner-access.ts): the
  // org filter is part of the lookup (a runner of another org is never even loaded).
  const row = await readRunnerForAccess(sql, {
    runnerId,
    organizationId: caller.organizationId,
    memberId: caller.subject.id,
  });
  if (!row) return undefined;
  const { runner, policyRoles } = row;
  return {
    runner,
    facts: {
      runnerId: runner.id,
      organizationId: runner.organization_id,
      kind: runner.kind,
      creatorId: runner.creator_id,
      policyRoles: policyRoles as RunnerAccessFacts["policyRoles"],
    },
  };
}
