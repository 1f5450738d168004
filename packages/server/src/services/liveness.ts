/**
 * A runner's phase as callers see it (behaviour.md §4), derived when it is read from its last
 * renewal, so no job has to flip phases: ACTIVE while renewals arrive, DEGRADED while the
 * last status carried a degradation message, INACTIVE after 90 s of silence.
 */
import { RunnerPhase } from "@runnerplane/api/gitpod/v1/runner_pb";
import type { DbRunner } from "../db/runners.js";

export const renewalTimeoutMs = 90_000;

export function livePhase(
  row: Pick<DbRunner, "phase" | "status_updated_at" | "status_message" | "deleting_since">,
  now: Date,
): RunnerPhase {
  if (row.deleting_since) return RunnerPhase.DELETING;
  if (!row.status_updated_at) return row.phase;
  // 90 s of silence is INACTIVE, as in the SQL filters (`status_updated_at > aliveSince(now)`).
  if (now.getTime() - row.status_updated_at.getTime() >= renewalTimeoutMs) return RunnerPhase.INACTIVE;
  if (row.status_message !== "") return RunnerPhase.DEGRADED;
  return RunnerPhase.ACTIVE;
}

/** The earliest renewal that still counts as alive at `now` (for SQL filters on ACTIVE runners). */
export function aliveSince(now: Date): Date {
  return new Date(now.getTime() - renewalTimeoutMs);
}
