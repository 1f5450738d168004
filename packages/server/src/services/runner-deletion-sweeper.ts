/**
 * Removes runners whose deletion was not acknowledged within the grace period
 * (behaviour.md §4). Runs on an interval in every replica; removal is idempotent, so
 * replicas sweeping at once do no harm.
 */
import { type BackgroundJob, startBackgroundJob } from "../background-job.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import { expiredDeletions, removeRunner } from "../db/runners.js";
import type { Logger } from "../logging/index.js";

export interface SweeperDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  graceMs: number;
}

/** One sweep; returns the ids removed. */
export async function sweepExpiredRunnerDeletions({ sql, clock, log, graceMs }: SweeperDeps): Promise<string[]> {
  const deadline = new Date(clock.now().getTime() - graceMs);
  const removed: string[] = [];
  for (const runner of await expiredDeletions(sql, deadline)) {
    if (await sql.begin((tx) => removeRunner(tx, runner.organization_id, runner.id))) {
      removed.push(runner.id);
      log.info("removed a runner that did not acknowledge its deletion", { runner_id: runner.id });
    }
  }
  return removed;
}

/** Sweeps every `intervalMs` until stopped. */
export function startRunnerDeletionSweeper(deps: SweeperDeps, intervalMs: number): BackgroundJob {
  return startBackgroundJob(deps.log, { intervalMs, failed: "runner deletion sweep failed; will retry" }, () =>
    sweepExpiredRunnerDeletions(deps),
  );
}
