import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { type DbRunner, findRunner } from "../db/runners.js";
import type { Db } from "../db/sql.js";
import type { Caller } from "./caller.js";
import { runnerNotFound } from "./runner-access.js";

/**
 * For RunnerInteractionService methods: only a runner's own access token may call them,
 * and only about that runner (another runner's id → not_found, as if it did not exist).
 *
 * Needs no query: authentication has already read, in this request, that the token's
 * runner exists in the token's organization (a token whose subject is gone does not
 * authenticate). A runner deleted after that is the same race as one deleted between any
 * check and the statement after it; the statements of these methods name the runner and
 * find nothing.
 */
export function assertRunnerItself(caller: Caller, runnerId: string): void {
  if (caller.subject.principal !== Principal.RUNNER) {
    throw new ConnectError("only a runner, with its own access token, may call this method", Code.PermissionDenied);
  }
  if (caller.subject.id !== runnerId.toLowerCase()) throw runnerNotFound(runnerId);
}

/** assertRunnerItself(), then the runner's row, for the methods that need it. */
export async function requireRunnerItself(sql: Db, caller: Caller, runnerId: string): Promise<DbRunner> {
  assertRunnerItself(caller, runnerId);
  const runner = await findRunner(sql, caller.organizationId, caller.subject.id);
  if (!runner) throw runnerNotFound(runnerId);
  return runner;
}
