/**
 * The query guard: postgres.js hands it every statement before sending it (the `onquery`
 * hook our patch adds, docs/decisions.md), in the async context of the code that awaits
 * it. For a statement of a request (db/request-scope.ts) it makes the request's outcome
 * honest (docs/database-faults.md):
 *
 * - the request was already answered → the statement is never sent;
 * - the request is answered (deadline, client gone, or simply done) while the statement
 *   waits for a connection → it is taken off the queue; while it runs → it is cancelled
 *   (the patched driver sends no cancel request that could hit another statement on the
 *   connection: docs/decisions.md, "Cancelling a running statement without hitting the
 *   next one");
 * - the database is known to be down → the statement fails at once with `unavailable`,
 *   and statements still waiting for a connection when it goes down are taken off the
 *   queue the same way;
 * - a statement that could commit lost its connection after it was sent → the request's
 *   outcome is unknown (errors/error-mapping.ts answers `unknown`, not `unavailable`).
 *
 * Statements outside any request (start-up, background jobs, the CLI) pass untouched.
 */
import { DatabaseUnavailableError, isConnectionError, RequestEndedError } from "./connection-errors.js";
import type { DatabaseHealth } from "./health.js";
import { currentRequestScope } from "./request-scope.js";

/** Where postgres.js runs the statement: the pool, a reserved connection, a transaction. */
export type QueryKind = "pool" | "reserved" | "transaction";

/**
 * The parts of a postgres.js Query the guard uses. `state` (set once the statement was
 * written to a connection) and `string`/`strings` (its text) are internals of 3.4.9;
 * `reject` settles a query that is never handed on; `cancel(reason)` is our patch's.
 */
export interface GuardedQuery extends Promise<unknown> {
  state: unknown;
  string?: string;
  strings: readonly string[];
  reject(error: unknown): void;
  cancel(reason?: unknown): Promise<void>;
}

// Statements that cannot commit a change of their own.
const cannotCommit = /^\s*(select|show|begin|rollback|savepoint|release)\b/i;
const commit = /^\s*commit\b/i;

/** Could this statement, had it run, have committed something? */
function mayCommit(query: GuardedQuery, kind: QueryKind): boolean {
  const text = query.string ?? query.strings.join("?");
  return kind === "transaction" ? commit.test(text) : !cannotCommit.test(text);
}

export type QueryHook = (query: GuardedQuery, kind: QueryKind) => boolean;

export function createQueryGuard(health?: DatabaseHealth): QueryHook {
  /** Statements of requests handed to postgres.js and not settled yet. */
  const pending = new Set<GuardedQuery>();
  const drop = (query: GuardedQuery, reason: Error) => void query.cancel(reason).catch(() => {});

  health?.onDown(() => {
    // Still waiting for a connection to a database that is gone: fail now, unsent.
    for (const query of pending) if (query.state === null) drop(query, new DatabaseUnavailableError());
  });

  return (query, kind) => {
    const scope = currentRequestScope();
    if (!scope) return true;
    if (scope.signal.aborted) {
      query.reject(new RequestEndedError());
      return false;
    }
    if (health?.down) {
      query.reject(new DatabaseUnavailableError());
      return false;
    }
    pending.add(query);
    const onAbort = () => drop(query, new RequestEndedError());
    scope.signal.addEventListener("abort", onAbort, { once: true });
    const settled = () => {
      pending.delete(query);
      scope.signal.removeEventListener("abort", onAbort);
    };
    // Promise.prototype.then: the plain promise, not the Query's own `then` (which would
    // hand the query over a second time).
    Promise.prototype.then.call(query, settled, (error: unknown) => {
      settled();
      if (!isConnectionError(error)) return;
      health?.suspect();
      if (query.state !== null && mayCommit(query, kind)) scope.outcomeUnknown = true;
    });
    return true;
  };
}
