/**
 * Removes audit log entries older than the retention (behaviour.md §15,
 * docs/audit-log.md#retention). Every replica runs it on a timer, outside any request's
 * scope; batches are small transactions that skip rows another replica is deleting, so
 * pruning never holds long locks or makes replicas wait on each other.
 */
import { type BackgroundJob, startBackgroundJob } from "../background-job.js";
import type { Clock } from "../clock.js";
import { pruneAuditEntries } from "../db/audit-log.js";
import type { Sql } from "../db/index.js";
import type { Logger } from "../logging/index.js";

export const defaultAuditLogRetentionDays = 365;

/** Entries deleted per transaction. */
const batchSize = 1_000;
/** How often a replica prunes. */
const pruneIntervalMs = 10 * 60_000;

export interface AuditLogPrunerDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  retentionDays: number;
  /** Entries per transaction (default 1 000); tests make it small. */
  batch?: number;
}

/** One pass: batch after batch until one comes back short. Returns how many entries went. */
export async function pruneAuditLog({ sql, clock, log, retentionDays, batch = batchSize }: AuditLogPrunerDeps) {
  const before = new Date(clock.now().getTime() - retentionDays * 86_400_000);
  let removed = 0;
  for (;;) {
    const count = await pruneAuditEntries(sql, before, batch);
    removed += count;
    if (count < batch) break;
  }
  if (removed > 0) log.info("pruned the audit log", { removed, before: before.toISOString() });
  return removed;
}

/** Prunes every 10 minutes until stopped. */
export function startAuditLogPruner(deps: AuditLogPrunerDeps, intervalMs = pruneIntervalMs): BackgroundJob {
  return startBackgroundJob(deps.log, { intervalMs, failed: "audit log pruning failed; will retry" }, () =>
    pruneAuditLog(deps),
  );
}
