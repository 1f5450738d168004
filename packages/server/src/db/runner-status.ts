/**
 * Heartbeats (`UpdateRunnerStatus`): what a runner reports about itself, and the renewal of
 * its registration (docs/runners.md, "Heartbeats, batched").
 *
 * Nobody waits on a heartbeat's answer, so a heartbeat may wait a little for others: its
 * token lookup lingers `heartbeatLingerMs` for other lookups to join it (db/token-lookup.ts,
 * auth/authentication-interceptor.ts), and the heartbeats whose lookups went out together
 * reach their writes in the same turn of the event loop. The usual heartbeat, without
 * `additional_info`, is one row of a statement batched per turn (db/batcher.ts): the
 * heartbeats of a turn go out as one UPDATE, and each is answered once it is done. A fleet
 * of 10 000 runners (1 000 heartbeats a second) so costs Postgres about a hundred statements
 * a second instead of two thousand. A runner's two heartbeats in one batch are written as
 * one, as if one after the other. A heartbeat that changes `additional_info` merges it in a
 * transaction of its own.
 */
import { createBatcher } from "./batcher.js";
import { refusedForItsData } from "./connection-errors.js";
import type { Db, Sql } from "./sql.js";

export interface StatusReport {
  version?: string | undefined;
  system_details?: string | undefined;
  log_url?: string | undefined;
  status_message?: string | undefined;
  status_region?: string | undefined;
  llm_url?: string | undefined;
  support_bundle_url?: string | undefined;
  /** Replaces the stored list when given. */
  capabilities?: number[] | undefined;
  gateway_info?: unknown;
}

/** How long a heartbeat's token lookup waits for others to share its statement. */
export const heartbeatLingerMs = 20;

/** The most runners one heartbeat statement writes; a fuller batch goes out at once. */
export const heartbeatBatchMax = 100;

/**
 * Stores what a runner reported (absent = unchanged), merges `additional_info` updates (a
 * key with no value is removed), and renews its registration. False when there is no such
 * runner (any more).
 */
export type RecordRunnerStatus = (
  id: string,
  report: StatusReport,
  additionalInfo: { key: string; value?: string | undefined }[],
  now: Date,
) => Promise<boolean>;

interface Heartbeat {
  report: StatusReport;
  at: Date;
}

/** `later`'s reported values over `earlier`'s, as writing one after the other would leave them. */
function combined(earlier: Heartbeat, later: Heartbeat): Heartbeat {
  const report: StatusReport = { ...earlier.report };
  for (const [field, value] of Object.entries(later.report)) {
    if (value !== undefined) (report as Record<string, unknown>)[field] = value;
  }
  return { report, at: later.at };
}

export function createRunnerStatusWriter(sql: Sql): RecordRunnerStatus {
  const batched = createBatcher<string, Heartbeat, true>({
    run: async (items) => {
      const written = await writeRunnerStatuses(
        sql,
        [...items].map(([id, h]) => ({ id, report: h.report, additionalInfo: undefined, at: h.at })),
      );
      return new Map(written.map((id) => [id, true]));
    },
    merge: combined,
    maxKeys: heartbeatBatchMax,
    isolates: refusedForItsData,
  });

  return async (id, report, additionalInfo, now) => {
    if (additionalInfo.length === 0) {
      return (await batched(id.toLowerCase(), { report, at: now })) === true;
    }
    return sql.begin(async (tx) => {
      // One runner renews itself; the row lock orders concurrent heartbeats of the same runner.
      const [row] = await tx<{ additional_info: { key: string; value: string }[] }[]>`
        select additional_info from runners where id = ${id} for update`;
      if (!row) return false;
      const merged = new Map(row.additional_info.map((f) => [f.key, f.value]));
      for (const u of additionalInfo) {
        if (u.value === undefined) merged.delete(u.key);
        else merged.set(u.key, u.value);
      }
      const info = [...merged].map(([key, value]) => ({ key, value }));
      await writeRunnerStatuses(tx, [{ id, report, additionalInfo: info, at: now }]);
      return true;
    });
  };
}

/**
 * One statement text for every heartbeat and every batch of them: the rows go as one JSON
 * parameter, and a value a row leaves out (null) leaves its column as it is. The ids of the
 * runners written.
 */
async function writeRunnerStatuses(
  sql: Db,
  rows: { id: string; report: StatusReport; additionalInfo: { key: string; value: string }[] | undefined; at: Date }[],
): Promise<string[]> {
  const json = rows.map(({ id, report, additionalInfo, at }) => ({
    ...report,
    id,
    additional_info: additionalInfo,
    at,
  }));
  const written = await sql<{ id: string }[]>`
    update runners r
       set version = coalesce(v.version, r.version),
           system_details = coalesce(v.system_details, r.system_details),
           log_url = coalesce(v.log_url, r.log_url),
           status_message = coalesce(v.status_message, r.status_message),
           status_region = coalesce(v.status_region, r.status_region),
           llm_url = coalesce(v.llm_url, r.llm_url),
           support_bundle_url = coalesce(v.support_bundle_url, r.support_bundle_url),
           capabilities = coalesce(v.capabilities, r.capabilities),
           gateway_info = coalesce(v.gateway_info, r.gateway_info),
           additional_info = coalesce(v.additional_info, r.additional_info),
           status_updated_at = v.at
      from jsonb_to_recordset(${sql.json(json as never)}) as v(
             id uuid, version text, system_details text, log_url text, status_message text, status_region text,
             llm_url text, support_bundle_url text, capabilities smallint[], gateway_info jsonb,
             additional_info jsonb, at timestamptz)
     where r.id = v.id
     returning r.id`;
  return written.map((row) => row.id);
}
