/**
 * A measuring eye on the pool, for metrics and tracing (docs/operations.md). postgres.js
 * exposes neither its queue nor its connections' states; what it does hand out is every
 * statement, through the same `onquery` hook as the query guard (db/query-guard.ts), in
 * the async context of the code awaiting it. createSql installs the observer after the
 * guard, so it sees each statement the guard lets through, of requests and of background
 * work alike, and never changes what happens to it.
 *
 * Per statement it costs one Set entry and one settle callback; the pool's state is worked
 * out only when asked (a scrape), from the statements not settled yet:
 * - `query.state` is null until the statement is written to a connection, then that
 *   connection's backend key object (postgres.js 3.4.9 internals, as the guard reads them):
 *   null means waiting for a connection, and the distinct objects are the connections
 *   running a statement right now.
 */
import type { GuardedQuery, QueryKind } from "./query-guard.js";

export interface PoolState {
  /** Statements handed to postgres.js and not yet written to a connection. */
  waiting: number;
  /** Statements written to a connection and not answered yet. */
  running: number;
  /** Connections running at least one of those (several are pipelined on one connection). */
  connectionsBusy: number;
}

export interface StatementObserverOptions {
  /** Each statement's time, from being handed to postgres.js to its result or error. */
  settled?: ((seconds: number, failed: boolean) => void) | undefined;
  /**
   * Called as a statement is handed over, in the async context of its caller (so a
   * tracer sees the caller's span); what it returns is called once the statement settles,
   * with the statement's text and its error, if any.
   */
  started?: ((kind: QueryKind) => ((text: string, error: unknown) => void) | undefined) | undefined;
}

export interface StatementObserver {
  /** Installed by createSql after the query guard (`SqlOptions.observer`). */
  observe(query: GuardedQuery, kind: QueryKind): void;
  /** The pool right now, as far as this pool's statements tell. */
  poolState(): PoolState;
}

export function createStatementObserver(options: StatementObserverOptions = {}): StatementObserver {
  const pending = new Set<GuardedQuery>();
  const { settled, started } = options;
  return {
    observe(query, kind) {
      const begun = performance.now();
      const finish = started?.(kind);
      pending.add(query);
      const done = (error: unknown, failed: boolean) => {
        pending.delete(query);
        settled?.((performance.now() - begun) / 1000, failed);
        finish?.(query.string ?? query.strings.join("?"), error);
      };
      // Promise.prototype.then: the plain promise, not the Query's own `then` (which would
      // hand the query over a second time; see the query guard).
      Promise.prototype.then.call(
        query,
        () => done(undefined, false),
        (error: unknown) => done(error, true),
      );
    },
    poolState() {
      let waiting = 0;
      const connections = new Set<unknown>();
      for (const query of pending) {
        if (query.state === null) waiting++;
        else connections.add(query.state);
      }
      return { waiting, running: pending.size - waiting, connectionsBusy: connections.size };
    },
  };
}
