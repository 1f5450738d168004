/**
 * Authentication's token lookups, batched per turn of the event loop (docs/identity.md,
 * "Lookups batched per turn of the event loop"): the lookups that start in one turn go out
 * as one statement when it ends, the same token once.
 *
 * A lookup alone in its turn is sent in its own call's request scope, exactly as it would
 * be unbatched. A batch of several is, for the query guard (db/query-guard.ts), a request of
 * its own: its statement runs in a scope that ends once no call waits on it any more, so it
 * fails at once while the database is down and is dropped when every caller has gone.
 * Either way each call stops waiting as soon as its own scope ends (its deadline, its
 * client gone), as its own statement would have; the others still get their rows.
 */
import { RequestEndedError } from "./connection-errors.js";
import { currentRequestScope, type RequestScope, runInRequestScope, runInScope } from "./request-scope.js";
import type { Db } from "./sql.js";
import { type DbTokenForAuth, findTokensForAuth, tokenLookupHash } from "./tokens.js";

export type TokenLookup = (token: string) => Promise<DbTokenForAuth | undefined>;

/** The most tokens one statement looks up; a batch that fills up goes out at once. */
export const tokenLookupBatchMax = 100;

interface Waiter {
  scope: RequestScope | undefined;
  left: boolean;
  resolve(row: DbTokenForAuth | undefined): void;
  reject(error: unknown): void;
}

interface Batch {
  byHash: Map<string, Waiter[]>;
  /** Calls still waiting. */
  waiting: number;
  /** A batch of several calls: its own scope, ended when the last of them leaves. */
  scope: AbortController | undefined;
  sent: boolean;
}

/** Why a batch's scope ended: nobody waits for it, or it is done. One object for all. */
const batchEnded = new Error("the token lookup has no caller left");

export function createTokenLookup(sql: Db): TokenLookup {
  let open: Batch | undefined;

  const send = (batch: Batch) => {
    if (open === batch) open = undefined;
    if (batch.sent || batch.waiting === 0) return;
    batch.sent = true;
    const hashes = [...batch.byHash.keys()];
    // A postgres.js statement belongs to the scope it is first awaited in: awaited in there.
    const lookup = async () => await findTokensForAuth(sql, hashes);
    let statement: Promise<Awaited<ReturnType<typeof findTokensForAuth>>>;
    if (batch.waiting === 1) {
      const only = [...batch.byHash.values()].flat().find((w) => !w.left);
      statement = runInScope(only?.scope, lookup);
    } else {
      const scope = new AbortController();
      batch.scope = scope;
      statement = runInRequestScope(scope.signal, lookup);
      void statement.catch(() => {}).finally(() => scope.abort(batchEnded));
    }
    statement.then(
      (rows) => {
        const found = new Map(rows.map((row) => [row.lookup_hash, row]));
        for (const [hash, waiters] of batch.byHash) for (const w of waiters) w.resolve(found.get(hash));
      },
      (error: unknown) => {
        for (const waiters of batch.byHash.values()) for (const w of waiters) w.reject(error);
      },
    );
  };

  return (token) => {
    const scope = currentRequestScope();
    // As the guard refuses a statement of a call already answered.
    if (scope?.signal.aborted) return Promise.reject(new RequestEndedError());
    const hash = tokenLookupHash(token);
    return new Promise<DbTokenForAuth | undefined>((resolve, reject) => {
      let batch = open;
      if (!batch) {
        const opened: Batch = { byHash: new Map(), waiting: 0, scope: undefined, sent: false };
        setImmediate(() => send(opened));
        open = batch = opened;
      }
      const current = batch;
      const stopWatching = () => scope?.signal.removeEventListener("abort", leave);
      const waiter: Waiter = {
        scope,
        left: false,
        resolve(row) {
          stopWatching();
          resolve(row);
        },
        reject(error) {
          stopWatching();
          reject(error);
        },
      };
      function leave() {
        waiter.left = true;
        reject(new RequestEndedError());
        if (--current.waiting === 0) current.scope?.abort(batchEnded);
      }
      const waiters = current.byHash.get(hash);
      if (waiters) waiters.push(waiter);
      else current.byHash.set(hash, [waiter]);
      current.waiting++;
      scope?.signal.addEventListener("abort", leave, { once: true });
      if (current.byHash.size >= tokenLookupBatchMax) send(current);
    });
  };
}
