/**
 * The three sign-in events, each in one place with its transaction open, so the audit log
 * (behaviour.md §15) adds its entry with one line here and nowhere else: a sign-in that
 * starts a session, a refused sign-in, a sign-out.
 */
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { type AuditActor, type RequestFacts, recordAuditEntry } from "../audit/index.js";
import type { Clock } from "../clock.js";
import type { Db, Sql } from "../db/index.js";
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
  /** The personal access token a token sign-in used: the session ends with it. */
  tokenId?: string | undefined;
  readOnly?: boolean;
  /** The session's absolute end. */
  expiresAt: Date;
}

/** The audit actions of the three events (docs/audit-log.md#events-that-are-not-rpcs-sign-in-sign-out-oauth). */
export const signInActions = {
  signIn: "auth/sign-in",
  signInFailed: "auth/sign-in-failed",
  signOut: "auth/sign-out",
  userProvisioned: "auth/user-provisioned",
} as const;

/** Records, on the transaction that created it, a user created by their first single sign-on. */
export async function userProvisioned(
  tx: Db,
  user: { id: string; organization_id: string },
  request: RequestFacts,
  at: Date,
): Promise<void> {
  await recordAuditEntry(tx, {
    organizationId: user.organization_id,
    actor: { principal: "user", id: user.id },
    action: signInActions.userProvisioned,
    subjectType: ResourceType.USER,
    subjectId: user.id,
    request,
    at,
  });
}

/** Starts the session and records the sign-in in its transaction; the cookie value is returned for the browser only. */
export async function signInSucceeded(
  { sql, clock, log }: SignInEventDeps,
  signIn: SignIn,
  request: RequestFacts,
): Promise<{ row: DbSession; secret: string }> {
  const started = await sql.begin(async (tx) => {
    const now = clock.now();
    const session = await startSession(tx, { ...signIn, now });
    await recordAuditEntry(tx, {
      organizationId: signIn.organizationId,
      actor: { principal: "user", id: signIn.memberId },
      action: signInActions.signIn,
      subjectType: ResourceType.USER,
      subjectId: signIn.memberId,
      request,
      at: now,
    });
    return session;
  });
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
  /** Whom the credential names, when it names someone (a suspended user's token). */
  actor?: { principal: "user" | "service_account"; id: string } | undefined;
}

/**
 * Records a refused sign-in: one entry in a transaction of its own (there is no change to
 * join), filed under the org whose token or SSO configuration was used. An attempt that names
 * no org (an unknown token, a forged state) has no org to file it under: the log line only.
 */
export async function signInFailed(
  { sql, clock, log }: SignInEventDeps,
  refused: RefusedSignIn,
  request: RequestFacts,
): Promise<void> {
  const { organizationId } = refused;
  if (organizationId) {
    const actor: AuditActor = refused.actor ?? { principal: "unknown", id: null };
    await sql.begin((tx) =>
      recordAuditEntry(tx, {
        organizationId,
        actor,
        action: signInActions.signInFailed,
        subjectType: refused.actor
          ? refused.actor.principal === "user"
            ? ResourceType.USER
            : ResourceType.SERVICE_ACCOUNT
          : ResourceType.UNSPECIFIED,
        subjectId: refused.actor?.id ?? null,
        request,
        at: clock.now(),
      }),
    );
  }
  log.info("sign-in refused", {
    method: refused.method,
    reason: refused.reason,
    organization_id: refused.organizationId,
    sso_configuration_id: refused.ssoConfigurationId,
  });
}

/** Ends the session with that cookie value and records it; undefined when none was live (no entry then). */
export async function signedOut(
  { sql, clock, log }: SignInEventDeps,
  secret: string,
  request: RequestFacts,
): Promise<DbSession | undefined> {
  const ended = await sql.begin(async (tx) => {
    const now = clock.now();
    const session = await endSession(tx, secret, now);
    if (session) {
      await recordAuditEntry(tx, {
        organizationId: session.organization_id,
        actor: { principal: "user", id: session.member_id },
        action: signInActions.signOut,
        subjectType: ResourceType.USER,
        subjectId: session.member_id,
        request,
        at: now,
      });
    }
    return session;
  });
  if (ended) log.info("signed out", { organization_id: ended.organization_id, session_id: ended.id });
  return ended;
}
