/**
 * The three sign-in events, each in one place with its transaction open, so the audit log
 * (behaviour.md §15) adds its entry with one line here and nowhere else: a sign-in that
 * starts a session, a refused sign-in, a sign-out.
 */
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import { type DbSession, endSession, type SessionMethod, startSession } from "../db/sessions.js";
import type { Logger } from "../logging/index.js";

export interface SignInEventDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
}

export interface SignIn {
  organizationId: string;
  memberId: string;
  method: SessionMethod;
  ssoConfigurationId?: string | undefined;
  readOnly?: boolean;
  /** The session's absolute end. */
  expiresAt: Date;
}

/** Starts the session; the cookie value is returned for the browser only. */
export async function signInSucceeded(
  { sql, clock, log }: SignInEventDeps,
  signIn: SignIn,
): Promise<{ row: DbSession; secret: string }> {
  const started = await sql.begin((tx) => startSession(tx, { ...signIn, now: clock.now() }));
  log.info("signed in", {
    organization_id: signIn.organizationId,
    member_id: signIn.memberId,
    method: signIn.method,
    session_id: started.row.id,
  });
  return started;
}

export interface RefusedSignIn {
  method: SessionMethod;
  /** Why, for the log and the audit entry; never a credential or a claim's value. */
  reason: string;
  organizationId?: string | undefined;
  ssoConfigurationId?: string | undefined;
}

export async function signInFailed({ sql, log }: SignInEventDeps, refused: RefusedSignIn): Promise<void> {
  await sql.begin(async (_tx) => {
    // The audit entry of a refused sign-in joins this transaction.
  });
  log.info("sign-in refused", {
    method: refused.method,
    reason: refused.reason,
    organization_id: refused.organizationId,
    sso_configuration_id: refused.ssoConfigurationId,
  });
}

/** Ends the session with that cookie value; undefined when none was live. */
export async function signedOut({ sql, clock, log }: SignInEventDeps, secret: string): Promise<DbSession | undefined> {
  const ended = await sql.begin((tx) => endSession(tx, secret, clock.now()));
  if (ended) log.info("signed out", { organization_id: ended.organization_id, session_id: ended.id });
  return ended;
}
