/**
 * The one way a mutation is written (docs/audit-log.md): `audited()` opens the transaction,
 * runs the change on it and inserts the change's audit entry before COMMIT, so neither can
 * commit without the other. `recordAuditEntry()` is the insert itself, for events that are
 * not RPCs (sign-in, sign-out, OAuth connections, CLI commands), on their own transaction.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { AuditLogEntryKind, type ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type postgres from "postgres";
import { type Caller, callerKey } from "../auth/caller.js";
import type { Clock } from "../clock.js";
import { type DbActorPrincipal, insertAuditEntry } from "../db/audit-log.js";
import type { Db, Sql } from "../db/index.js";
import { type RequestInfo, requestInfoKey } from "../rpc/request-info.js";
import { auditedMethods } from "./audited-methods.js";

export interface AuditActor {
  principal: DbActorPrincipal;
  /** null for the CLI. */
  id: string | null;
}

/** What an entry records about the request it came from. */
export interface RequestFacts {
  requestId: string;
  clientAddress: string | null;
  userAgent: string | null;
}

export interface AuditEntry {
  organizationId: string;
  actor: AuditActor;
  /** The full method name, or e.g. `auth/sign-in`, `cli/tokens revoke`. */
  action: string;
  subjectType: ResourceType;
  subjectId: string | null;
  /** RESOURCE_CHANGE unless given. */
  kind?: AuditLogEntryKind;
  request: RequestFacts;
  at: Date;
}

/** Longest user agent kept; the rest is cut (the column allows 512). */
const userAgentMax = 512;

/** Inserts one entry on `tx`: call it on the transaction of the change it records. */
export async function recordAuditEntry(tx: Db, e: AuditEntry): Promise<string> {
  return insertAuditEntry(tx, {
    organization_id: e.organizationId,
    created_at: e.at,
    actor_principal: e.actor.principal,
    actor_id: e.actor.id?.toLowerCase() ?? null,
    action: e.action,
    subject_type: e.subjectType,
    subject_id: e.subjectId?.toLowerCase() ?? null,
    kind: e.kind ?? AuditLogEntryKind.RESOURCE_CHANGE,
    request_id: e.request.requestId,
    client_address: e.request.clientAddress,
    user_agent: e.request.userAgent === null ? null : e.request.userAgent.slice(0, userAgentMax),
  });
}

/** The request fields of an entry, from the front door's RequestInfo (absent in-process: empty). */
export function requestFactsOf(info: RequestInfo | undefined): RequestFacts {
  return {
    requestId: info?.id ?? "",
    clientAddress: info?.clientAddress ?? null,
    userAgent: info?.userAgent ?? null,
  };
}

export function actorOf(caller: Caller): AuditActor {
  const principal: DbActorPrincipal =
    caller.subject.principal === Principal.RUNNER
      ? "runner"
      : caller.subject.principal === Principal.SERVICE_ACCOUNT
        ? "service_account"
        : "user";
  return { principal, id: caller.subject.id };
}

/**
 * The subject's id, known before the change or learned from its result (a create). A call
 * without an authenticated caller (ExchangeToken) learns its actor and organization from the
 * change too.
 */
export type AuditSubject<T> = string | null | ((result: T) => string | null | ResolvedSubject);

export interface ResolvedSubject {
  id: string | null;
  actor: AuditActor;
  organizationId: string;
}

/**
 * Runs `change` in a new transaction and, on the same transaction, records the entry
 * `entryOf` makes of its value (none when it returns undefined): neither commits alone.
 */
async function changeAndRecord<T>(
  sql: Sql,
  change: (tx: postgres.TransactionSql) => Promise<T>,
  entryOf: (value: T) => AuditEntry | undefined,
): Promise<T> {
  const result = await sql.begin(async (tx) => {
    const value = await change(tx);
    const entry = entryOf(value);
    if (entry) await recordAuditEntry(tx, entry);
    return value;
  });
  return result as T;
}

export type Audited = <T>(
  ctx: HandlerContext,
  change: (tx: postgres.TransactionSql) => Promise<T>,
  subject: AuditSubject<NoInfer<T>>,
) => Promise<T>;

/**
 * `audited(ctx, change, subject)`: runs `change` in a new transaction and records, on the
 * same transaction, one entry for the handler's method (its subject type from
 * audited-methods.ts), actor and organization from the authenticated caller, request facts
 * from RequestInfo. A change that throws rolls back and records nothing.
 */
export function createAuditor({ sql, clock }: { sql: Sql; clock: Clock }): Audited {
  return async <T>(
    ctx: HandlerContext,
    change: (tx: postgres.TransactionSql) => Promise<T>,
    subject: AuditSubject<NoInfer<T>>,
  ): Promise<T> => {
    const action = `${ctx.service.typeName}/${ctx.method.name}`;
    const subjectType = auditedMethods.get(action);
    if (subjectType === undefined) {
      throw new ConnectError(`${action} is not listed in audit/audited-methods.ts`, Code.Internal);
    }
    const caller = ctx.values.get(callerKey);
    return changeAndRecord(sql, change, (value) => {
      const resolved = typeof subject === "function" ? subject(value) : subject;
      const { id, actor, organizationId } =
        resolved !== null && typeof resolved === "object"
          ? resolved
          : { id: resolved, actor: caller && actorOf(caller), organizationId: caller?.organizationId };
      if (!actor || !organizationId) throw new ConnectError(`${action}: no actor to audit`, Code.Internal);
      return {
        organizationId,
        actor,
        action,
        subjectType,
        subjectId: id,
        request: requestFactsOf(ctx.values.get(requestInfoKey)),
        at: clock.now(),
      };
    });
  };
}

/** What a CLI entry names: the resource and the org it belongs to. */
export interface CliSubject {
  type: ResourceType;
  id: string;
  organizationId: string;
}

/** One invocation of the CLI: the request facts every entry it writes carries. */
export function cliRequestFacts(requestId: string, whoRan: string): RequestFacts {
  return { requestId, clientAddress: null, userAgent: `runnerplane-cli (${whoRan})` };
}

/**
 * A CLI command's change and its entry in one transaction, with the CLI as the actor and
 * `cli/<command>` as the action. `subject` returns undefined when nothing changed (adding
 * a member who was in the group already): no entry then.
 */
export async function cliAudited<T>(
  { sql, clock, request }: { sql: Sql; clock: Clock; request: RequestFacts },
  command: string,
  change: (tx: postgres.TransactionSql) => Promise<T>,
  subject: (result: NoInfer<T>) => CliSubject | undefined,
): Promise<T> {
  return changeAndRecord(sql, change, (value) => {
    const s = subject(value);
    if (!s) return undefined;
    return {
      organizationId: s.organizationId,
      actor: { principal: "cli", id: null },
      action: `cli/${command}`,
      subjectType: s.type,
      subjectId: s.id,
      request,
      at: clock.now(),
    };
  });
}
