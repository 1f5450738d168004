/**
 * SQL for browser sessions (docs/sign-in.md). The cookie's value is never stored: rows hold
 * its SHA-256, as tokens do.
 */
import { generateSessionSecret, hashToken } from "../crypto/tokens.js";
import type { Db } from "./sql.js";
import type { DbTokenForAuth } from "./tokens.js";

export type SessionMethod = "personal_access_token" | "oidc";

export interface DbSession {
  id: string;
  organization_id: string;
  member_id: string;
  method: SessionMethod;
  sso_configuration_id: string | null;
  /** The personal access token a `personal_access_token` session was started with. */
  token_id: string | null;
  read_only: boolean;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ended_at: Date | null;
}

export interface StartSessionInput {
  organizationId: string;
  memberId: string;
  method: SessionMethod;
  ssoConfigurationId?: string | undefined;
  /** For `personal_access_token` sessions: the token, whose revocation or expiry ends the session. */
  tokenId?: string | undefined;
  readOnly?: boolean;
  /** The absolute expiry, never extended. */
  expiresAt: Date;
  now: Date;
}

/** Stores a new session and returns its row and the cookie value (handed to the browser only). */
export async function startSession(sql: Db, input: StartSessionInput): Promise<{ row: DbSession; secret: string }> {
  const { token, hash } = generateSessionSecret();
  // Sessions past their absolute end can never work again (sessions_expires_idx).
  await sql`delete from sessions where expires_at <= ${input.now}`;
  const [row] = await sql<DbSession[]>`
    insert into sessions (organization_id, member_id, hash, method, sso_configuration_id, token_id, read_only,
                          created_at, last_seen_at, expires_at)
    values (${input.organizationId}, ${input.memberId}, ${hash}, ${input.method},
            ${input.ssoConfigurationId ?? null}, ${input.tokenId ?? null}, ${input.readOnly ?? false},
            ${input.now}, ${input.now}, ${input.expiresAt})
    returning id, organization_id, member_id, method, sso_configuration_id, token_id, read_only, created_at,
              last_seen_at, expires_at, ended_at`;
  return { row: row as DbSession, secret: token };
}

/** What authentication reads about a session: the token lookup's shape (auth/credential.ts). */
export type DbSessionForAuth = Omit<DbTokenForAuth, "kind" | "description" | "consumed_at">;

/**
 * One lookup by hash (unique index) with the member's live state, in the shape of
 * findTokenForAuth so one rule decides both (docs/sign-in.md). `expires_at` is the earlier
 * of the absolute expiry, the idle limit and the session's token's expiry; `revoked_at` is the
 * logout time or, for a session started with a personal access token, that token's revocation.
 */
export async function findSessionForAuth(
  sql: Db,
  secret: string,
  idleTimeoutMs: number,
): Promise<DbSessionForAuth | undefined> {
  const [row] = await sql<DbSessionForAuth[]>`
    select s.id, s.organization_id, s.member_id as subject_id, 'user' as principal, s.created_at,
           least(s.expires_at, s.last_seen_at + ${idleTimeoutMs} * interval '1 millisecond', t.expires_at)
             as expires_at,
           coalesce(s.ended_at, t.revoked_at) as revoked_at, s.last_seen_at as last_used_at, s.read_only,
           m.role as member_role,
           (m.id is not null) as subject_exists,
           (m.suspended_at is not null) as member_suspended,
           m.valid_until as member_valid_until
      from sessions s
      left join members m on m.id = s.member_id and m.organization_id = s.organization_id and m.kind = 'user'
      left join tokens t on t.id = s.token_id
     where s.hash = ${hashToken(secret)}`;
  return row;
}

/** Records use at most once a minute (the tokens' rule), keeping the idle limit exact to a minute. */
export async function touchSession(sql: Db, id: string, now: Date, intervalMs: number): Promise<void> {
  const due = new Date(now.getTime() - intervalMs);
  await sql`update sessions set last_seen_at = ${now}
             where id = ${id} and ended_at is null and last_seen_at <= ${due}`;
}

/** Ends the session with that cookie value; the row, when one was live. */
export async function endSession(sql: Db, secret: string, now: Date): Promise<DbSession | undefined> {
  const [row] = await sql<DbSession[]>`
    update sessions set ended_at = ${now}
     where hash = ${hashToken(secret)} and ended_at is null
    returning id, organization_id, member_id, method, sso_configuration_id, token_id, read_only, created_at,
              last_seen_at, expires_at, ended_at`;
  return row;
}

/** Ends every live session of a member (suspension: lifting it later does not revive them). */
export async function endMemberSessions(sql: Db, organizationId: string, memberId: string, now: Date): Promise<number> {
  const rows = await sql`update sessions set ended_at = ${now}
             where member_id = ${memberId} and organization_id = ${organizationId} and ended_at is null
               and expires_at > ${now}`;
  return rows.count;
}
