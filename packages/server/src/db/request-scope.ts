/**
 * The request a database statement belongs to (docs/database-faults.md).
 *
 * Every RPC runs inside a scope (rpc/request-scope-interceptor.ts). The query guard
 * (db/query-guard.ts) reads it for each statement postgres.js is handed: a statement of a
 * request that was already answered is never sent, one still queued when the request is
 * answered is dropped, and a write that lost its connection before its answer marks the
 * request's outcome as unknown.
 *
 * Work that deliberately outlives the request — bookkeeping such as recording a token's
 * use, cleanup after a stream ended, process-wide listeners and timers started lazily by
 * the first request that needs them — runs `detached`, outside any scope. Without that
 * it would inherit the scope of whichever request happened to start it.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface RequestScope {
  /** Aborts when the request is answered, its deadline passes, or its client goes away. */
  readonly signal: AbortSignal;
  /**
   * Set when a statement that could have committed (a COMMIT, or a write outside a
   * transaction) lost its connection after it was sent: the change may or may not be in
   * the database, and the caller must be told so.
   */
  outcomeUnknown: boolean;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(signal: AbortSignal, fn: () => T): T {
  return storage.run({ signal, outcomeUnknown: false }, fn);
}

/** Runs `fn` in `scope` (that of another call, taken with currentRequestScope()), or detached when there is none. */
export function runInScope<T>(scope: RequestScope | undefined, fn: () => T): T {
  return scope ? storage.run(scope, fn) : storage.exit(fn);
}

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Runs `fn`, and everything it starts, outside any request's scope. A postgres.js query is
 * sent when it is first awaited, so await it inside `fn`: `detached(async () => { await sql`…` })`.
 */
export function detached<T>(fn: () => T): T {
  return storage.exit(fn);
}
