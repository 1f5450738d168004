import type postgres from "postgres";
/**
 * SQL for host authentication tokens. Token values arrive here already encrypted
 * (crypto/secret-box.ts); this module never sees plaintext.
 */
import type { Db } from "./sql.js";

export type HostTokenSource = 1 | 2; // OAUTH, PAT

export interface DbHostToken {
  id: string;
  runner_id: string;
  organization_id: string;
  subject_id: string;
  subject_principal: "user" | "service_account";
  host: string;
  source: HostTokenSource;
  expires_at: Date | null;
  integration_id: string | null;
  scopes: string[];
  token_ciphertext: Buffer;
  refresh_token_ciphertext: Buffer | null;
  key_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface UpsertHostToken {
  runnerId: string;
  organizationId: string;
  subjectId: string;
  subjectPrincipal: "user" | "service_account";
  host: string;
  source: HostTokenSource;
  expiresAt: Date | null;
  integrationId: string | null;
  scopes: string[];
  now: Date;
  /** Makes the ciphertexts for the row's id (their associated data names the row). */
  encrypt(id: string): { keyId: string; token: Buffer; refreshToken: Buffer | null };
}

/**
 * One token per (runner, subject, host): creating another replaces the stored one, keeping
 * its id. The id is settled first so the ciphertexts can be bound to it. Call it inside a
 * transaction: a transaction-scoped advisory lock on (runner, subject, host) makes concurrent
 * creates take turns (`for update` locks no row that does not exist yet), so the second one
 * finds the first one's row and replaces it instead of failing on the unique constraint.
 */
export async function upsertHostToken(sql: Db, t: UpsertHostToken): Promise<DbHostToken> {
  await sql`select pg_advisory_xact_lock(hashtext('host_authentication_tokens'),
                                         hashtext(${`${t.runnerId}/${t.subjectId}/${t.host}`.toLowerCase()}))`;
  const [existing] = await sql<{ id: string }[]>`
    select id from host_authentication_tokens
     where runner_id = ${t.runnerId} and subject_id = ${t.subjectId} and host = ${t.host} for update`;
  const [fresh] = existing ? [existing] : await sql<{ id: string }[]>`select gen_random_uuid() as id`;
  const id = (fresh as { id: string }).id;
  const sealed = t.encrypt(id);
  const [row] = await sql<DbHostToken[]>`
    insert into host_authentication_tokens (id, runner_id, organization_id, subject_id, subject_principal, host,
      source, expires_at, integration_id, scopes, token_ciphertext, refresh_token_ciphertext, key_id,
      created_at, updated_at)
    values (${id}, ${t.runnerId}, ${t.organizationId}, ${t.subjectId}, ${t.subjectPrincipal}, ${t.host},
      ${t.source}, ${t.expiresAt}, ${t.integrationId}, ${t.scopes}, ${sealed.token}, ${sealed.refreshToken},
      ${sealed.keyId}, ${t.now}, ${t.now})
    on conflict (id) do update set source = excluded.source, expires_at = excluded.expires_at,
      integration_id = excluded.integration_id, scopes = excluded.scopes, token_ciphertext = excluded.token_ciphertext,
      refresh_token_ciphertext = excluded.refresh_token_ciphertext, key_id = excluded.key_id,
      subject_principal = excluded.subject_principal, updated_at = excluded.updated_at
    returning *`;
  return row as DbHostToken;
}

export async function findHostToken(
  sql: Db,
  organizationId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<DbHostToken | undefined> {
  const [row] = await sql<DbHostToken[]>`
    select * from host_authentication_tokens where id = ${id} and organization_id = ${organizationId}
    ${options.forUpdate ? sql`for update` : sql``}`;
  return row;
}

export async function findHostTokenFor(
  sql: Db,
  runnerId: string,
  subjectId: string,
  host: string,
): Promise<DbHostToken | undefined> {
  const [row] = await sql<DbHostToken[]>`
    select * from host_authentication_tokens
     where runner_id = ${runnerId} and subject_id = ${subjectId} and host = ${host}`;
  return row;
}

export async function updateHostToken(
  sql: Db,
  id: string,
  set: Partial<Pick<DbHostToken, "expires_at" | "scopes" | "token_ciphertext" | "refresh_token_ciphertext" | "key_id">>,
  now: Date,
): Promise<void> {
  await sql`update host_authentication_tokens set ${sql({ ...set, updated_at: now })} where id = ${id}`;
}

export async function deleteHostToken(sql: Db, id: string): Promise<DbHostToken | undefined> {
  const [row] = await sql<DbHostToken[]>`delete from host_authentication_tokens where id = ${id} returning *`;
  return row;
}

/** The cascades of SCM integration updates and deletes: a runner+host's tokens, optionally of one source. */
export async function deleteHostTokensOf(
  sql: Db,
  runnerId: string,
  host: string,
  source?: HostTokenSource,
): Promise<{ subject_id: string; host: string }[]> {
  return sql<{ subject_id: string; host: string }[]>`
    delete from host_authentication_tokens
     where runner_id = ${runnerId} and host = ${host} ${source ? sql`and source = ${source}` : sql``}
    returning subject_id, host`;
}

export function listHostTokens(
  sql: Db,
  q: {
    organizationId: string;
    /** The caller: it sees its own tokens… */
    subjectId: string;
    /** …and every token on the runners (row `r`) it administers: auth's administeredRunnerCondition(). */
    administeredRunners: postgres.Fragment;
    runnerId: string | undefined;
    filterSubjectId: string | undefined;
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbHostToken[]> {
  return sql<DbHostToken[]>`
    select t.* from host_authentication_tokens t
     where t.organization_id = ${q.organizationId}
       and (t.subject_id = ${q.subjectId} or exists (
             select 1 from runners r where r.id = t.runner_id and ${q.administeredRunners}))
       ${q.runnerId ? sql`and t.runner_id = ${q.runnerId}` : sql``}
       ${q.filterSubjectId ? sql`and t.subject_id = ${q.filterSubjectId}` : sql``}
       ${q.after ? sql`and (t.created_at, t.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by t.created_at, t.id
     limit ${q.limit}`;
}
