/**
 * SQL for LLM integrations (docs/llm-integrations.md). The API key is stored only sealed for
 * the runner; nothing here ever sees it in clear text.
 */
import type postgres from "postgres";
import type { Db } from "./sql.js";

/** One request header as stored in `request_headers` (jsonb). */
export interface DbLlmRequestHeader {
  key: string;
  /** The header's value bytes, base64. */
  value: string;
  /** gitpod.v1.LLMIntegrationRequestHeaderType number. */
  headerType: number;
}

export interface DbLlmIntegration {
  id: string;
  runner_id: string;
  organization_id: string;
  provider: number;
  models: number[];
  endpoint: string;
  encrypted_api_key: Buffer;
  /** bigint column, read as text so no precision is lost. */
  max_tokens: string;
  phase: number;
  phase_reason: string;
  request_headers: DbLlmRequestHeader[];
  created_at: Date;
  updated_at: Date;
}

/** The columns UpdateLLMIntegration may change; absent ones stay as they are. */
export type LlmIntegrationColumns = Partial<{
  provider: number;
  models: number[];
  endpoint: string;
  encrypted_api_key: Buffer;
  max_tokens: bigint;
  phase: number;
  phase_reason: string;
  request_headers: DbLlmRequestHeader[];
}>;

// Every select lists max_tokens as text: a JS number would lose precision above 2^53.
const columns = (sql: Db) => sql`
  id, runner_id, organization_id, provider, models, endpoint, encrypted_api_key, max_tokens::text as max_tokens,
  phase, phase_reason, request_headers, created_at, updated_at`;
const columnsOfI = (sql: Db) => sql`
  i.id, i.runner_id, i.organization_id, i.provider, i.models, i.endpoint, i.encrypted_api_key,
  i.max_tokens::text as max_tokens, i.phase, i.phase_reason, i.request_headers, i.created_at, i.updated_at`;

export async function insertLlmIntegration(
  sql: Db,
  i: {
    runnerId: string;
    organizationId: string;
    provider: number;
    models: number[];
    endpoint: string;
    encryptedApiKey: Buffer;
    maxTokens: bigint;
    phase: number;
    now: Date;
  },
): Promise<DbLlmIntegration> {
  const [row] = await sql<DbLlmIntegration[]>`
    insert into llm_integrations (runner_id, organization_id, provider, models, endpoint, encrypted_api_key,
                                  max_tokens, phase, created_at, updated_at)
    values (${i.runnerId}, ${i.organizationId}, ${i.provider}, ${i.models}::smallint[], ${i.endpoint},
            ${i.encryptedApiKey}, ${i.maxTokens.toString()}::bigint, ${i.phase}, ${i.now}, ${i.now})
    returning ${columns(sql)}`;
  return row as DbLlmIntegration;
}

export async function findLlmIntegration(
  sql: Db,
  organizationId: string,
  id: string,
): Promise<DbLlmIntegration | undefined> {
  const [row] = await sql<DbLlmIntegration[]>`
    select ${columns(sql)} from llm_integrations where id = ${id} and organization_id = ${organizationId}`;
  return row;
}

/** One integration of one runner (GetRunnerLLMIntegration): another runner's id finds nothing. */
export async function findRunnerLlmIntegration(
  sql: Db,
  runnerId: string,
  id: string,
): Promise<DbLlmIntegration | undefined> {
  const [row] = await sql<DbLlmIntegration[]>`
    select ${columns(sql)} from llm_integrations where id = ${id} and runner_id = ${runnerId}`;
  return row;
}

/**
 * One UPDATE of the present columns only, so two updates of different fields both survive
 * without a read-modify-write. False when the integration is gone.
 */
export async function updateLlmIntegration(
  sql: Db,
  id: string,
  set: LlmIntegrationColumns,
  now: Date,
): Promise<boolean> {
  const assignments = [
    ...(set.provider !== undefined ? [sql`provider = ${set.provider}`] : []),
    ...(set.models !== undefined ? [sql`models = ${set.models}::smallint[]`] : []),
    ...(set.endpoint !== undefined ? [sql`endpoint = ${set.endpoint}`] : []),
    ...(set.encrypted_api_key !== undefined ? [sql`encrypted_api_key = ${set.encrypted_api_key}`] : []),
    ...(set.max_tokens !== undefined ? [sql`max_tokens = ${set.max_tokens.toString()}::bigint`] : []),
    ...(set.phase !== undefined ? [sql`phase = ${set.phase}`] : []),
    ...(set.phase_reason !== undefined ? [sql`phase_reason = ${set.phase_reason}`] : []),
    ...(set.request_headers !== undefined ? [sql`request_headers = ${sql.json(set.request_headers as never)}`] : []),
    sql`updated_at = ${now}`,
  ];
  const joined = assignments.reduce((all, part, i) => (i === 0 ? part : sql`${all}, ${part}`));
  const rows = await sql`update llm_integrations set ${joined} where id = ${id}`;
  return rows.count === 1;
}

export async function deleteLlmIntegration(sql: Db, id: string): Promise<boolean> {
  const rows = await sql`delete from llm_integrations where id = ${id}`;
  return rows.count === 1;
}

/** ListLLMIntegrations: the integrations of the runners the caller may see, in keyset order. */
export function listLlmIntegrations(
  sql: Db,
  q: {
    organizationId: string;
    /** Which runners (row `r`) the caller may see: auth's visibleRunnerCondition(). */
    visibleRunners: postgres.Fragment;
    runnerIds: string[];
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbLlmIntegration[]> {
  // llm_integrations_org_idx serves the order and the keyset condition.
  return sql<DbLlmIntegration[]>`
    select ${columnsOfI(sql)} from llm_integrations i join runners r on r.id = i.runner_id
     where i.organization_id = ${q.organizationId}
       and ${q.visibleRunners}
       ${q.runnerIds.length > 0 ? sql`and i.runner_id = any(${q.runnerIds}::uuid[])` : sql``}
       ${q.after ? sql`and (i.created_at, i.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by i.created_at, i.id
     limit ${q.limit}`;
}

/** ListRunnerLLMIntegrations: a runner's own integrations, optionally those serving some models. */
export function listRunnerLlmIntegrations(
  sql: Db,
  q: { runnerId: string; models: number[]; after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<DbLlmIntegration[]> {
  // llm_integrations_runner_idx serves the order and the keyset condition.
  return sql<DbLlmIntegration[]>`
    select ${columns(sql)} from llm_integrations
     where runner_id = ${q.runnerId}
       ${q.models.length > 0 ? sql`and models && ${q.models}::smallint[]` : sql``}
       ${q.after ? sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by created_at, id
     limit ${q.limit}`;
}
