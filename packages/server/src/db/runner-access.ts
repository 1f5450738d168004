/**
 * Authorization's read of a runner (auth/runner-access.ts): the runner's row and the roles
 * the caller's groups hold on it, for the runner only when it is in the caller's
 * organization. Every call about one runner (GetRunner, ParseContextURL, …) starts with it.
 *
 * The reads that start in one turn of the event loop go out as one statement when it ends
 * (db/batcher.ts; docs/identity.md, "Lookups batched"): requests that arrive together, and
 * so were authenticated by one token lookup, are authorized by one read too. A read of
 * something that cannot be a runner id (a data error, SQLSTATE class 22) fails only its
 * own caller, as it did alone. One batcher per pool; inside a transaction a read goes out
 * by itself, on the transaction's connection.
 */
import { type Batched, createBatcher } from "./batcher.js";
import { refusedForItsData } from "./connection-errors.js";
import { type DbRunner, runnerFrom, runnerRow } from "./runners.js";
import type { Db, Sql } from "./sql.js";

export interface RunnerAccessRead {
  runnerId: string;
  organizationId: string;
  /** The caller: whose group memberships give policy roles. */
  memberId: string;
}

export interface RunnerAccessRow {
  runner: DbRunner;
  /** Roles the member's groups hold on the runner through policies. */
  policyRoles: string[];
}

/** The most reads one statement makes; a batch that fills up goes out at once. */
export const runnerAccessBatchMax = 100;

const batchers = new WeakMap<Sql, Batched<string, RunnerAccessRead, RunnerAccessRow>>();

/** The runner (undefined when there is none of that id in that organization) and the member's policy roles. */
export function readRunnerForAccess(sql: Db, read: RunnerAccessRead): Promise<RunnerAccessRow | undefined> {
  if (!isPool(sql)) return readMany(sql, [read]).then((rows) => rows.get(0));
  let batched = batchers.get(sql);
  if (!batched) {
    batched = createBatcher<string, RunnerAccessRead, RunnerAccessRow>({
      run: async (items) => {
        const keys = [...items.keys()];
        const rows = await readMany(sql, [...items.values()]);
        return new Map([...rows].map(([i, row]) => [keys[i] as string, row]));
      },
      merge: (earlier) => earlier,
      maxKeys: runnerAccessBatchMax,
      isolates: refusedForItsData,
    });
    batchers.set(sql, batched);
  }
  return batched(`${read.runnerId} ${read.organizationId} ${read.memberId}`, read);
}

/** A transaction's handle has savepoints; the pool's has none. */
function isPool(sql: Db): sql is Sql {
  return !("savepoint" in sql);
}

/** One statement for all of `reads`: each row by its read's index. */
async function readMany(sql: Db, reads: readonly RunnerAccessRead[]): Promise<Map<number, RunnerAccessRow>> {
  const rows = await sql<{ i: string; runner: unknown[]; policy_roles: string[] }[]>`
    select k.i, ${runnerRow(sql)},
           array(select p.role from runner_policies p
                   join group_members gm on gm.group_id = p.group_id
                  where p.runner_id = r.id and gm.member_id = k.member_id) as policy_roles
      from unnest(${reads.map((r) => r.runnerId)}::uuid[], ${reads.map((r) => r.organizationId)}::uuid[],
                  ${reads.map((r) => r.memberId)}::uuid[]) with ordinality as k(runner_id, organization_id, member_id, i)
      join runners r on r.id = k.runner_id and r.organization_id = k.organization_id`;
  return new Map(
    rows.map((row) => [Number(row.i) - 1, { runner: runnerFrom(row.runner), policyRoles: row.policy_roles }]),
  );
}
