/** SQL for bearer tokens. The secret is never stored: rows hold its SHA-256 (docs/identity.md). */
import { generateToken, hashToken, type TokenKind, tokenLookupHash } from "../crypto/tokens.js";
import type { Db } from "./sql.js";

/** Who a token (or a group membership) belongs to, as stored. */
export type DbPrincipal = "user" | "service_account" | "runner";

export interface DbToken {
  id: string;
  kind: TokenKind;
  organization_id: string;
  subject_id: string;
  principal: DbPrincipal;
  description: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  consumed_at: Date | null;
  last_used_at: Date | null;
  /** A read-only token may call only NO_SIDE_EFFECTS methods. */
  read_only: boolean;
}

/** A token row joined with what authentication needs about its subject. */
export interface DbTokenForAuth extends DbToken {
  /** The member's current org role; null for runners or a member that no longer exists. */
  member_role: "admin" | "member" | null;
  /** Whether the subject (member or runner) still exists. */
  subject_exists: boolean;
  /** Whether the member is suspended (false for runners); a suspended member's tokens fail. */
  member_suspended: boolean;
  /** A service account's `valid_until` (migration 0009): after it none of its tokens works. */
  member_valid_until: Date | null;
}

export interface IssueTokenInput {
  kind: TokenKind;
  organizationId: string;
  subjectId: string;
  principal: DbPrincipal;
  expiresAt: Date | null;
  description?: string;
  readOnly?: boolean;
}

/** Stores a new token and returns its row and the secret (to be shown once). */
export async function issueToken(sql: Db, input: IssueTokenInput): Promise<{ row: DbToken; token: string }> {
  const { token, hash } = generateToken(input.kind);
  const [row] = await sql<DbToken[]>`
    insert into tokens (kind, organization_id, subject_id, principal, hash, description, expires_at, read_only)
    values (${input.kind}, ${input.organizationId}, ${input.subjectId}, ${input.principal}, ${hash},
            ${input.description ?? ""}, ${input.expiresAt}, ${input.readOnly ?? false})
    returning ${sql(tokenColumns)}`;
  return { row: row as DbToken, token };
}

/**
 * Runner access tokens for many runners of one organization in one statement (unnest of the
 * runners' ids and the tokens' hashes), as the exchange would issue them one by one. For
 * seeding large fleets (the benchmark); returns each runner's token id and secret, in order.
 */
export async function issueRunnerAccessTokens(
  sql: Db,
  organizationId: string,
  runnerIds: readonly string[],
): Promise<{ runnerId: string; tokenId: string; token: string }[]> {
  const issued = runnerIds.map((runnerId) => ({ runnerId, ...generateToken("runner_access") }));
  const rows = await sql<{ id: string; subject_id: string }[]>`
    insert into tokens (kind, organization_id, subject_id, principal, hash, description, expires_at, read_only)
    select 'runner_access', ${organizationId}, v.subject_id, 'runner', decode(v.hash, 'hex'), '', null, false
      from unnest(${issued.map((i) => i.runnerId)}::uuid[], ${issued.map((i) => i.hash.toString("hex"))}::text[])
           as v(subject_id, hash)
    returning id, subject_id`;
  const ids = new Map(rows.map((r) => [r.subject_id, r.id]));
  return issued.map(({ runnerId, token }) => ({ runnerId, token, tokenId: ids.get(runnerId) ?? "" }));
}

const tokenColumns = [
  "id",
  "kind",
  "organization_id",
  "subject_id",
  "principal",
  "description",
  "created_at",
  "expires_at",
  "revoked_at",
  "consumed_at",
  "last_used_at",
  "read_only",
] as const;

/** Exchange tokens are one-time and expire 24 h after issuance (behaviour.md §4). */
export const exchangeTokenLifetimeMs = 24 * 60 * 60_000;

/** A new one-time exchange token for a runner, valid for 24 hours from `now`. */
export function issueExchangeToken(
  sql: Db,
  runner: { organizationId: string; runnerId: string },
  now: Date,
): Promise<{ row: DbToken; token: string }> {
  return issueToken(sql, {
    kind: "runner_exchange",
    organizationId: runner.organizationId,
    subjectId: runner.runnerId,
    principal: "runner",
    expiresAt: new Date(now.getTime() + exchangeTokenLifetimeMs),
  });
}

/**
 * Lookups by hash (unique index) with the subjects' current state: the member's role and
 * suspension are read live, so a role change, a suspension or a removed member takes effect
 * on the next request. `hashes` are hex SHA-256 digests; each row says whose it is
 * (`lookup_hash`). Authentication sends a whole turn's lookups at once (db/token-lookup.ts).
 */
export function findTokensForAuth(sql: Db, hashes: readonly string[]): Promise<DbTokenForAuthOf[]> {
  return sql<DbTokenForAuthOf[]>`
    select encode(t.hash, 'hex') as lookup_hash,
           t.id, t.kind, t.organization_id, t.subject_id, t.principal, t.description, t.created_at,
           t.expires_at, t.revoked_at, t.consumed_at, t.last_used_at, t.read_only,
           m.role as member_role,
           (m.id is not null or r.id is not null) as subject_exists,
           (m.suspended_at is not null) as member_suspended,
           m.valid_until as member_valid_until
      from tokens t
      left join members m on t.principal <> 'runner' and m.id = t.subject_id and m.organization_id = t.organization_id
      left join runners r on t.principal = 'runner' and r.id = t.subject_id and r.organization_id = t.organization_id
     where t.hash = any(array(select decode(h, 'hex') from unnest(${hashes as string[]}::text[]) h))`;
}

/** A row of findTokensForAuth, with the hash it was found by. */
export type DbTokenForAuthOf = DbTokenForAuth & { lookup_hash: string };

/** The lookup of one token, by itself (sign-in's check of a pasted token). */
export async function findTokenForAuth(sql: Db, token: string): Promise<DbTokenForAuth | undefined> {
  const [row] = await findTokensForAuth(sql, [tokenLookupHash(token)]);
  return row;
}

/**
 * How stale `last_used_at` may get: use is recorded at most once per interval and token.
 * Sessions' `last_seen_at` too (touchDue decides for both).
 */
export const touchIntervalMs = 60_000;

/**
 * Whether a token last used at `lastUsedAt` is due for touchToken. Authentication has just
 * read the row, so checking here spares the other requests of the minute a round trip.
 */
export function touchDue(lastUsedAt: Date | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= touchIntervalMs;
}

/** Records use; the condition keeps concurrent requests of one token to one write a minute. */
export async function touchToken(sql: Db, id: string, now: Date): Promise<void> {
  const due = new Date(now.getTime() - touchIntervalMs);
  await sql`update tokens set last_used_at = ${now}
             where id = ${id} and (last_used_at is null or last_used_at <= ${due})`;
}

/**
 * Marks a one-time exchange token used and returns it, atomically: of two concurrent
 * exchanges of the same token exactly one gets the row.
 */
export async function consumeExchangeToken(sql: Db, token: string, now: Date): Promise<DbToken | undefined> {
  const [row] = await sql<DbToken[]>`
    update tokens set consumed_at = ${now}, last_used_at = ${now}
     where hash = ${hashToken(token)} and kind = 'runner_exchange'
       and consumed_at is null and revoked_at is null and (expires_at is null or expires_at > ${now})
    returning ${sql(tokenColumns)}`;
  return row;
}

/** Revokes a token of the org; false when there is no such token (or it was revoked already). */
export async function revokeToken(sql: Db, organizationId: string, id: string, now: Date): Promise<boolean> {
  const rows = await sql`update tokens set revoked_at = ${now}
                          where id = ${id} and organization_id = ${organizationId} and revoked_at is null`;
  return rows.count === 1;
}

export function listTokens(sql: Db, organizationId: string): Promise<DbToken[]> {
  return sql<DbToken[]>`select ${sql(tokenColumns)} from tokens
                         where organization_id = ${organizationId} order by created_at, id`;
}

export async function findToken(sql: Db, id: string): Promise<DbToken | undefined> {
  const [row] = await sql<DbToken[]>`select ${sql(tokenColumns)} from tokens where id = ${id}`;
  return row;
}

/**
 * Which personal access tokens of one kind of member a caller may see: its own, or, for an
 * org admin, every such member's of the org. Users' tokens are UserService's, service
 * accounts' are ServiceAccountService's.
 */
export interface MemberTokenScope {
  organizationId: string;
  principal: "user" | "service_account";
  /** The caller; without `everyMember`, only its own tokens are visible. */
  callerId: string;
  everyMember: boolean;
}

/** The visible, live (not deleted) tokens of a scope, as a condition on `tokens`. */
function visibleTokens(sql: Db, scope: MemberTokenScope) {
  return sql`organization_id = ${scope.organizationId}
         and kind = 'personal_access' and principal = ${scope.principal} and revoked_at is null
         ${scope.everyMember ? sql`` : sql`and subject_id = ${scope.callerId}`}`;
}

/** A visible, live token of the scope, by id. */
export async function findMemberToken(sql: Db, scope: MemberTokenScope, id: string): Promise<DbToken | undefined> {
  const [row] = await sql<DbToken[]>`
    select ${sql(tokenColumns)} from tokens where id = ${id} and ${visibleTokens(sql, scope)}`;
  return row;
}

/**
 * One page of visible, live tokens of the scope, in (created_at, id) order. `subjectIds`
 * restricts further (empty: no restriction). The row comparison lets
 * tokens_subject_list_idx (one member) or tokens_organization_idx (an admin's view) seek
 * straight to the cursor.
 */
export function listMemberTokens(
  sql: Db,
  q: MemberTokenScope & {
    subjectIds?: string[];
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbToken[]> {
  const subjects = q.subjectIds ?? [];
  return sql<DbToken[]>`
    select ${sql(tokenColumns)} from tokens
     where ${visibleTokens(sql, q)}
       ${subjects.length > 0 ? sql`and subject_id = any(${subjects}::uuid[])` : sql``}
       ${q.after ? sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by created_at, id
     limit ${q.limit}`;
}

/** Deletes (revokes) a visible token of the scope; false when there is none to delete. */
export async function revokeMemberToken(sql: Db, scope: MemberTokenScope, id: string, now: Date): Promise<boolean> {
  const rows = await sql`
    update tokens set revoked_at = ${now} where id = ${id} and ${visibleTokens(sql, scope)}`;
  return rows.count === 1;
}
