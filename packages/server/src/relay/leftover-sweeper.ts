/**
 * Removes what a process that stopped without closing left of the relay (docs/relay.md,
 * "Leftovers"). A process deletes its `runner_connections` row when a stream ends, all of
 * them when it shuts down, and its `relay_calls` row when a call ends; one that crashed or
 * was killed deletes nothing. Its stream rows stop counting 30 s after their last renewal
 * and its calls at their deadline, so nothing reads them as live, but they stayed for good.
 * Every replica sweeps on a timer, outside any request's scope, with a margin well past
 * both bounds for clocks that differ between replicas; deleting what another replica just
 * deleted is harmless.
 */
import { type BackgroundJob, startBackgroundJob } from "../background-job.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import type { Logger } from "../logging/index.js";

/** A stream row not renewed for this long belongs to a process that is gone (renewals: every 10 s). */
export const staleStreamMs = 5 * 60_000;
/** A call row this long past its deadline belongs to a caller that is gone (deadlines: at most 10 s). */
export const staleCallMs = 60_000;
/** How often a replica sweeps. */
const sweepIntervalMs = 60_000;

export interface LeftoverSweeperDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
}

/** One sweep: how many stream and call rows went. */
export async function sweepRelayLeftovers({ sql, clock, log }: LeftoverSweeperDeps) {
  const now = clock.now().getTime();
  const streams = await sql`delete from runner_connections where last_seen < ${new Date(now - staleStreamMs)}`;
  const calls = await sql`delete from relay_calls where deadline < ${new Date(now - staleCallMs)}`;
  const removed = { streams: streams.count, calls: calls.count };
  if (removed.streams > 0 || removed.calls > 0) log.info("removed what stopped processes left of the relay", removed);
  return removed;
}

/** Sweeps every minute until stopped. */
export function startRelayLeftoverSweeper(deps: LeftoverSweeperDeps): BackgroundJob {
  return startBackgroundJob(
    deps.log,
    { intervalMs: sweepIntervalMs, failed: "relay leftover sweep failed; will retry" },
    () => sweepRelayLeftovers(deps),
  );
}
