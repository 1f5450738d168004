/**
 * SQL for SCM login attempts (docs/scm-oauth.md): the server's record of one OAuth flow, from
 * the link CheckAuthenticationForHost hands out to the callback that uses it up. Secrets never
 * arrive here in the clear: the state and the browser binding as SHA-256 hashes, the PKCE
 * verifier encrypted (crypto/secret-box.ts).
 */
import type { Db } from "./sql.js";

export interface DbScmLoginAttempt {
  id: string;
  organization_id: string;
  runner_id: string;
  integration_id: string;
  host: string;
  subject_id: string;
  subject_principal: "user" | "service_account";
  created_at: Date;
  expires_at: Date;
  state_hash: Buffer | null;
  binding_hash: Buffer | null;
  pkce_verifier_ciphertext: Buffer | null;
  key_id: string | null;
  return_to: string | null;
  used_at: Date | null;
}

export interface NewScmLoginAttempt {
  organizationId: string;
  runnerId: string;
  integrationId: string;
  host: string;
  subjectId: string;
  subjectPrincipal: "user" | "service_account";
  now: Date;
  expiresAt: Date;
}

/**
 * A new attempt. The subject's expired attempts go in the same statement (through the
 * subject index), so a user's abandoned links do not pile up.
 */
export async function insertScmLoginAttempt(sql: Db, a: NewScmLoginAttempt): Promise<DbScmLoginAttempt> {
  const [row] = await sql<DbScmLoginAttempt[]>`
    with swept as (
      delete from scm_login_attempts where subject_id = ${a.subjectId} and expires_at <= ${a.now})
    insert into scm_login_attempts (organization_id, runner_id, integration_id, host, subject_id,
                                    subject_principal, created_at, expires_at)
    values (${a.organizationId}, ${a.runnerId}, ${a.integrationId}, ${a.host}, ${a.subjectId},
            ${a.subjectPrincipal}, ${a.now}, ${a.expiresAt})
    returning *`;
  return row as DbScmLoginAttempt;
}

/** An attempt that may still be started: not used up, not expired. */
export async function findOpenScmLoginAttempt(sql: Db, id: string, now: Date): Promise<DbScmLoginAttempt | undefined> {
  const [row] = await sql<DbScmLoginAttempt[]>`
    select * from scm_login_attempts where id = ${id} and used_at is null and expires_at > ${now}`;
  return row;
}

export interface StartedScmLoginAttempt {
  stateHash: Buffer;
  bindingHash: Buffer;
  /** Makes the verifier's ciphertext for the row's id (its associated data names the row). */
  verifier: { keyId: string; ciphertext: Buffer };
  returnTo: string | null;
}

/** Records a start (replacing an earlier one's state, binding and verifier) while the attempt is open. */
export async function startScmLoginAttempt(
  sql: Db,
  id: string,
  s: StartedScmLoginAttempt,
  now: Date,
): Promise<boolean> {
  const rows = await sql`
    update scm_login_attempts
       set state_hash = ${s.stateHash}, binding_hash = ${s.bindingHash},
           pkce_verifier_ciphertext = ${s.verifier.ciphertext}, key_id = ${s.verifier.keyId},
           return_to = ${s.returnTo}
     where id = ${id} and used_at is null and expires_at > ${now}`;
  return rows.count === 1;
}

/** A used-up attempt, and whether its subject is still a live member (in the org, not suspended). */
export interface UsedScmLoginAttempt extends DbScmLoginAttempt {
  member_live: boolean;
}

/**
 * Uses the attempt up if the state and the browser binding both match an open attempt. One
 * statement, so of two callbacks racing on one attempt exactly one wins. It also tells whether
 * the subject is still a live member: one suspended or removed since the link was made must not
 * get a host token (the attempt is used up all the same).
 */
export async function useScmLoginAttempt(
  sql: Db,
  stateHash: Buffer,
  bindingHash: Buffer,
  now: Date,
): Promise<UsedScmLoginAttempt | undefined> {
  const [row] = await sql<UsedScmLoginAttempt[]>`
    with used as (
      update scm_login_attempts set used_at = ${now}
       where state_hash = ${stateHash} and binding_hash = ${bindingHash} and used_at is null and expires_at > ${now}
      returning *)
    select used.*,
           exists (select 1 from members m
                    where m.id = used.subject_id and m.organization_id = used.organization_id
                      and m.suspended_at is null) as member_live
      from used`;
  return row;
}

/** The attempt a state belongs to, whatever its condition: to tell the browser why a callback failed. */
export async function findScmLoginAttemptByState(sql: Db, stateHash: Buffer): Promise<DbScmLoginAttempt | undefined> {
  const [row] = await sql<DbScmLoginAttempt[]>`select * from scm_login_attempts where state_hash = ${stateHash}`;
  return row;
}
