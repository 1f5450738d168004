import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type { DbRunner } from "../db/runners.js";
import type { Db } from "../db/sql.js";
import type { Caller } from "./caller.js";
import { authorizeRunner } from "./runner-access.js";

/**
 * For RunnerInteractionService methods: only a runner's own access token may call them,
 * and only about that runner (another runner's id → not_found, as if it did not exist).
 */
export async function requireRunnerItself(sql: Db, caller: Caller, runnerId: string): Promise<DbRunner> {
  if (caller.subject.principal !== Principal.RUNNER) {
    throw new ConnectError("only a runner, with its own access token, may call this method", Code.PermissionDenied);
  }
  return (await authorizeRunner(sql, caller, runnerId, { need: "admin", runnerItself: true })).runner;
}
