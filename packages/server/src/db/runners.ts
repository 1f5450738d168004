import type postgres from "postgres";
/** SQL for runners (docs/runners.md). Rows stay rows here; services/runner-mapper.ts makes messages. */
import type { Db } from "./sql.js";

/** The `kind` and `provider` columns: lowercase names, because SQL reads them (visibility). */
export type DbRunnerKind = "local" | "remote" | "local_configuration";
export type DbRunnerProvider = "aws_ec2" | "linux_host" | "desktop_mac" | "managed" | "gcp" | "dev_agent";

export interface DbRunner {
  id: string;
  organization_id: string;
  name: string;
  kind: DbRunnerKind;
  provider: DbRunnerProvider | null;
  creator_id: string;
  creator_principal: "user" | "service_account";
  runner_manager_id: string | null;
  created_at: Date;
  updated_at: Date;
  desired_phase: number;
  variant: number;
  region: string;
  release_channel: number;
  auto_update: boolean;
  log_level: number;
  devcontainer_image_cache_enabled: boolean;
  update_window_start: number | null;
  update_window_end: number | null;
  encrypted_honeycomb_api_key: Buffer | null;
  continuous_profiling: boolean;
  metrics_enabled: boolean;
  metrics_url: string;
  metrics_username: string;
  /**
   * AES-256-GCM, bound to the runner's id (services/metrics-password.ts); null = no password.
   * The plaintext column `metrics_password` of 0002 is left out on purpose: only the start-up
   * step that encrypts what it still holds reads it (encryptPlaintextMetricsPassword below).
   */
  metrics_password_ciphertext: Buffer | null;
  metrics_password_key_id: string | null;
  metrics_managed: boolean;
  metrics_verbose: boolean;
  phase: number;
  status_updated_at: Date | null;
  version: string;
  system_details: string;
  log_url: string;
  status_message: string;
  status_region: string;
  additional_info: { key: string; value: string }[];
  capabilities: number[];
  gateway_info: unknown;
  llm_url: string;
  support_bundle_url: string;
  public_key: Buffer | null;
  signed_up_at: Date | null;
  deleting_since: Date | null;
}

/** How a column of DbRunner travels in `runnerRow`'s JSON array, and is read back from it. */
type RunnerColumnKind = "value" | "timestamp" | "bytea";

/**
 * DbRunner's columns, in the order of `runnerRow`'s array; the compiler holds the keys to
 * DbRunner, so none is missing or unknown. Not `r.*`: that also reads the plaintext
 * `metrics_password` of 0002, which only the start-up step that encrypts it may read.
 */
const runnerColumnKinds: Record<keyof DbRunner, RunnerColumnKind> = {
  id: "value",
  organization_id: "value",
  name: "value",
  kind: "value",
  provider: "value",
  creator_id: "value",
  creator_principal: "value",
  runner_manager_id: "value",
  created_at: "timestamp",
  updated_at: "timestamp",
  desired_phase: "value",
  variant: "value",
  region: "value",
  release_channel: "value",
  auto_update: "value",
  log_level: "value",
  devcontainer_image_cache_enabled: "value",
  update_window_start: "value",
  update_window_end: "value",
  encrypted_honeycomb_api_key: "bytea",
  continuous_profiling: "value",
  metrics_enabled: "value",
  metrics_url: "value",
  metrics_username: "value",
  metrics_password_ciphertext: "bytea",
  metrics_password_key_id: "value",
  metrics_managed: "value",
  metrics_verbose: "value",
  phase: "value",
  status_updated_at: "timestamp",
  version: "value",
  system_details: "value",
  log_url: "value",
  status_message: "value",
  status_region: "value",
  additional_info: "value",
  capabilities: "value",
  gateway_info: "value",
  llm_url: "value",
  support_bundle_url: "value",
  public_key: "bytea",
  signed_up_at: "timestamp",
  deleting_since: "timestamp",
};
/** Each kind as the array holds it: timestamps as milliseconds since the epoch, bytea as hex. */
const runnerColumnSql: Record<RunnerColumnKind, (column: string) => string> = {
  value: (column) => column,
  timestamp: (column) => `floor(extract(epoch from ${column}) * 1000)`,
  bytea: (column) => `encode(${column}, 'hex')`,
};
/** DbRunner's columns, in the array's order (runners.test.ts holds them to the table's). */
export const runnerColumnNames: readonly (keyof DbRunner)[] = Object.keys(runnerColumnKinds) as (keyof DbRunner)[];
const runnerRowSql = `json_build_array(${runnerColumnNames
  .map((name) => runnerColumnSql[runnerColumnKinds[name]](`r.${name}`))
  .join(", ")}) as runner`;
/** Each column's place in the array. */
const at = Object.fromEntries(runnerColumnNames.map((name, i) => [name, i])) as Record<keyof DbRunner, number>;

/**
 * The runner of the row `r` as one `json` column, `runner`: the select list of every query
 * that returns runners; `runnerFrom` reads it back. One column instead of 43 because the
 * driver pays a string, a parse and a property per column and row, which a page of 25
 * runners paid 1 075 times; one JSON.parse of the array costs less than half of that
 * (docs/performance.md, change log). runners.test.ts compares the result with the
 * columns read one by one.
 */
export const runnerRow = (sql: Db) => sql.unsafe(runnerRowSql);

/**
 * The DbRunner in a `runner` column of `runnerRow`. Written out, with each place a
 * property of `at`, not a loop over the columns: an object literal has one shape, where 43
 * keyed stores made each row a dictionary and cost a tenth of a page's CPU.
 */
export function runnerFrom(runner: unknown[]): DbRunner {
  return {
    id: runner[at.id] as never,
    organization_id: runner[at.organization_id] as never,
    name: runner[at.name] as never,
    kind: runner[at.kind] as never,
    provider: runner[at.provider] as never,
    creator_id: runner[at.creator_id] as never,
    creator_principal: runner[at.creator_principal] as never,
    runner_manager_id: runner[at.runner_manager_id] as never,
    created_at: timestamp(runner[at.created_at] as never) as Date,
    updated_at: timestamp(runner[at.updated_at] as never) as Date,
    desired_phase: runner[at.desired_phase] as never,
    variant: runner[at.variant] as never,
    region: runner[at.region] as never,
    release_channel: runner[at.release_channel] as never,
    auto_update: runner[at.auto_update] as never,
    log_level: runner[at.log_level] as never,
    devcontainer_image_cache_enabled: runner[at.devcontainer_image_cache_enabled] as never,
    update_window_start: runner[at.update_window_start] as never,
    update_window_end: runner[at.update_window_end] as never,
    encrypted_honeycomb_api_key: bytea(runner[at.encrypted_honeycomb_api_key] as never),
    continuous_profiling: runner[at.continuous_profiling] as never,
    metrics_enabled: runner[at.metrics_enabled] as never,
    metrics_url: runner[at.metrics_url] as never,
    metrics_username: runner[at.metrics_username] as never,
    metrics_password_ciphertext: bytea(runner[at.metrics_password_ciphertext] as never),
    metrics_password_key_id: runner[at.metrics_password_key_id] as never,
    metrics_managed: runner[at.metrics_managed] as never,
    metrics_verbose: runner[at.metrics_verbose] as never,
    phase: runner[at.phase] as never,
    status_updated_at: timestamp(runner[at.status_updated_at] as never),
    version: runner[at.version] as never,
    system_details: runner[at.system_details] as never,
    log_url: runner[at.log_url] as never,
    status_message: runner[at.status_message] as never,
    status_region: runner[at.status_region] as never,
    additional_info: runner[at.additional_info] as never,
    capabilities: runner[at.capabilities] as never,
    gateway_info: runner[at.gateway_info] as never,
    llm_url: runner[at.llm_url] as never,
    support_bundle_url: runner[at.support_bundle_url] as never,
    public_key: bytea(runner[at.public_key] as never),
    signed_up_at: timestamp(runner[at.signed_up_at] as never),
    deleting_since: timestamp(runner[at.deleting_since] as never),
  };
}

/**
 * A timestamptz column, in milliseconds: what postgres.js makes of the column (a Date,
 * the microseconds cut off) without parsing its text.
 */
function timestamp(value: number | null): Date | null {
  return value === null ? null : new Date(value);
}

/** A bytea column, `encode(…, 'hex')`d by runnerRow. */
function bytea(value: string | null): Buffer | null {
  return value === null ? null : Buffer.from(value, "hex");
}

type SettingColumn =
  | "name"
  | "runner_manager_id"
  | "desired_phase"
  | "variant"
  | "region"
  | "release_channel"
  | "auto_update"
  | "log_level"
  | "devcontainer_image_cache_enabled"
  | "update_window_start"
  | "update_window_end"
  | "encrypted_honeycomb_api_key"
  | "continuous_profiling"
  | "metrics_enabled"
  | "metrics_url"
  | "metrics_username"
  | "metrics_password_ciphertext"
  | "metrics_password_key_id"
  | "metrics_managed"
  | "metrics_verbose";

/** Columns a caller may set when creating or updating a runner; undefined = leave alone. */
export type RunnerSettings = { [K in SettingColumn]?: DbRunner[K] | undefined };

export interface InsertRunner extends RunnerSettings {
  /** Given when a ciphertext must be bound to the id before the row exists; else generated. */
  id?: string | undefined;
  organization_id: string;
  name: string;
  kind: DbRunnerKind;
  provider: DbRunnerProvider | null;
  creator_id: string;
  creator_principal: "user" | "service_account";
  created_at: Date;
}

export async function insertRunner(sql: Db, runner: InsertRunner): Promise<DbRunner> {
  const row = withoutUndefined({ ...runner, updated_at: runner.created_at });
  const [inserted] = await sql<{ runner: unknown[] }[]>`
    with r as (insert into runners ${sql(row)} returning *) select ${runnerRow(sql)} from r`;
  return runnerFrom((inserted as { runner: unknown[] }).runner);
}

export async function findRunner(sql: Db, organizationId: string, id: string): Promise<DbRunner | undefined> {
  const [row] = await sql<{ runner: unknown[] }[]>`
    select ${runnerRow(sql)} from runners r where r.id = ${id} and r.organization_id = ${organizationId}`;
  return row && runnerFrom(row.runner);
}

/**
 * Writes only the given columns, in one statement: two concurrent updates of different
 * fields both land, because neither reads and rewrites the other's columns.
 */
export async function updateRunner(
  sql: Db,
  organizationId: string,
  id: string,
  changes: RunnerSettings,
  now: Date,
): Promise<boolean> {
  const set: Record<string, unknown> = withoutUndefined({ ...changes, updated_at: now });
  // A plaintext left behind by an older server must not outlive a newer password: the
  // start-up step would otherwise encrypt it over this one.
  if (changes.metrics_password_ciphertext !== undefined) set.metrics_password = "";
  const rows = await sql`update runners set ${sql(set)} where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}

export interface RunnerListQuery {
  organizationId: string;
  /** Which runners (row `r`) the caller may see: auth's visibleRunnerCondition(). */
  visibleRunners: postgres.Fragment;
  /** On which of them it reads secrets (row `r`): auth's runnerSecretsReadableCondition(). */
  secretsReadable: postgres.Fragment;
  creatorIds: string[];
  kinds: DbRunnerKind[];
  providers: DbRunnerProvider[];
  after: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/**
 * One page in (created_at, id) order. The row comparison `(created_at, id) > (…)` lets
 * runners_list_idx seek straight to the cursor, so page N costs what page 1 costs.
 */
export async function listRunners(sql: Db, q: RunnerListQuery): Promise<(DbRunner & { secrets_readable: boolean })[]> {
  const rows = await sql<{ runner: unknown[]; secrets_readable: boolean }[]>`
    select ${runnerRow(sql)}, (${q.secretsReadable}) as secrets_readable from runners r
     where r.organization_id = ${q.organizationId}
       and ${q.visibleRunners}
       ${q.creatorIds.length > 0 ? sql`and r.creator_id = any(${q.creatorIds}::uuid[])` : sql``}
       ${q.kinds.length > 0 ? sql`and r.kind = any(${q.kinds}::text[])` : sql``}
       ${q.providers.length > 0 ? sql`and r.provider = any(${q.providers}::text[])` : sql``}
       ${q.after ? sql`and (r.created_at, r.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by r.created_at, r.id
     limit ${q.limit}`;
  return rows.map((row) => Object.assign(runnerFrom(row.runner), { secrets_readable: row.secrets_readable }));
}

/**
 * Removes a runner and everything it owns. Policies (and, later, environment classes, SCM
 * integrations and host tokens) go by foreign key; tokens name the runner without one.
 */
export async function removeRunner(sql: Db, organizationId: string, id: string): Promise<boolean> {
  await sql`delete from tokens where principal = 'runner' and subject_id = ${id} and organization_id = ${organizationId}`;
  const rows = await sql`delete from runners where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}

/** Asks a signed-up runner to go: desired phase DELETED, status DELETING. */
export async function markDeleting(sql: Db, organizationId: string, id: string, now: Date): Promise<void> {
  await sql`update runners
               set desired_phase = 5, phase = 4, deleting_since = coalesce(deleting_since, ${now}), updated_at = ${now}
             where id = ${id} and organization_id = ${organizationId}`;
}

/** Ids of runners whose deletion waited longer than the grace period. */
export async function expiredDeletions(sql: Db, deadline: Date): Promise<{ id: string; organization_id: string }[]> {
  return sql<{ id: string; organization_id: string }[]>`
    select id, organization_id from runners where deleting_since is not null and deleting_since <= ${deadline}`;
}

export async function signupRunner(sql: Db, id: string, publicKey: Uint8Array, now: Date): Promise<void> {
  await sql`update runners set public_key = ${Buffer.from(publicKey)}, signed_up_at = coalesce(signed_up_at, ${now}),
                               updated_at = ${now}
             where id = ${id}`;
}

/** A runner reports in: ACTIVE now (unless it is being deleted). */
export async function markRunnerActive(sql: Db, id: string, now: Date): Promise<void> {
  await sql`update runners set phase = case when deleting_since is null then 3 else phase end,
                               status_updated_at = ${now}
             where id = ${id}`;
}

/**
 * Runners whose metrics password is still plaintext (written before migration 0005, or by
 * an older replica during a rolling upgrade), one keyset page in id order; the partial
 * index runners_plaintext_metrics_password_idx holds exactly these rows.
 */
export function plaintextMetricsPasswords(
  sql: Db,
  afterId: string | undefined,
  limit: number,
): Promise<{ id: string; metrics_password: string }[]> {
  return sql<{ id: string; metrics_password: string }[]>`
    select id, metrics_password from runners
     where metrics_password <> '' ${afterId ? sql`and id > ${afterId}::uuid` : sql``}
     order by id
     limit ${limit}`;
}

/**
 * Replaces a plaintext metrics password by its ciphertext, only if the row still holds that
 * very plaintext: a second replica doing the same at the same moment, or a password
 * changed in between, makes this a no-op (false) instead of overwriting a newer value.
 */
export async function encryptPlaintextMetricsPassword(
  sql: Db,
  id: string,
  plaintext: string,
  sealed: { keyId: string; ciphertext: Buffer },
): Promise<boolean> {
  const rows = await sql`
    update runners set metrics_password = '', metrics_password_ciphertext = ${sealed.ciphertext},
                       metrics_password_key_id = ${sealed.keyId}
     where id = ${id} and metrics_password = ${plaintext}`;
  return rows.count === 1;
}

/** postgres.js refuses `undefined`; an absent setting means "leave the column alone". */
function withoutUndefined<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Candidates for ParseContextURL without a runner: ACTIVE runners (renewed since `aliveSince`,
 * not degraded, not being deleted) the caller may use, those with an SCM integration for the
 * host first, oldest first.
 */
export async function activeRunnersForHost(
  sql: Db,
  q: { organizationId: string; visibleRunners: postgres.Fragment; aliveSince: Date; host: string },
): Promise<(DbRunner & { has_integration: boolean })[]> {
  const rows = await sql<{ runner: unknown[]; has_integration: boolean }[]>`
    select ${runnerRow(sql)}, exists (select 1 from scm_integrations i where i.runner_id = r.id and i.host = ${q.host}) as has_integration
      from runners r
     where r.organization_id = ${q.organizationId}
       and ${q.visibleRunners}
       and r.deleting_since is null and r.status_updated_at > ${q.aliveSince} and r.status_message = ''
     order by has_integration desc, r.created_at, r.id
     limit 20`;
  return rows.map((row) => Object.assign(runnerFrom(row.runner), { has_integration: row.has_integration }));
}
