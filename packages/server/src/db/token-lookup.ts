/**
 * Authentication's token lookups, batched per turn of the event loop (docs/identity.md,
 * "Lookups batched per turn of the event loop"): the lookups that start in one turn go out
 * as one statement when it ends, the same token once.
 *
 * For the query guard the batch is a request of its own (db/query-guard.ts): its statement
 * runs in a request scope that ends once no call waits on it any more, so it fails at once
 * while the database is down and is dropped when every caller has gone. Each call also
 * stops waiting as soon as its own scope ends (its deadline, its client gone), as its own
 * statement would have; the others still get their rows.
 */
import { RequestEndedError } from "./connection-errors.js";
import { currentRequestScope, runInRequestScope } from "./request-scope.js";
import type { Db } from "./sql.js";
import { type DbTokenForAuth, findTokensForAuth, tokenLookupHash } from "./tokens.js";

export type TokenLookup = (token: string) => Promise<DbTokenForAuth | undefined>;

/** The most tokens one statement looks up; a batch that fills up goes out at once. */
export const tokenLookupBatchMax = 100;

interface Waiter {
  resolve(row: DbTokenForAuth | undefined): void;
  reject(error: unknown): void;
}

interface Batch {
  byHash: Map<string, Waiter[]>;
  /** Calls still waiting; the batch's scope ends when the last one leaves. */
  waiting: number;
  scope: AbortController;
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
    // The batch's own scope, not that of the call that happened to open it: a postgres.js
    // statement belongs to the scope it is first awaited in, so it is awaited in there.
    runInRequestScope(batch.scope.signal, async () => await findTokensForAuth(sql, [...batch.byHash.keys()]))
      .then(
        (rows) => {
          const found = new Map(rows.map((row) => [row.lookup_hash, row]));
          for (const [hash, waiters] of batch.byHash) for (const w of waiters) w.resolve(found.get(hash));
        },
        (error: unknown) => {
          for (const waiters of batch.byHash.values()) for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => batch.scope.abort(batchEnded));
  };

  return (token) => {
    const scope = currentRequestScope();
    // As the guard refuses a statement of a call already answered.
    if (scope?.signal.aborted) return Promise.reject(new RequestEndedError());
    const hash = tokenLookupHash(token);
    return new Promise<DbTokenForAuth | undefined>((resolve, reject) => {
      let batch = open;
      if (!batch) {
        const opened: Batch = { byHash: new Map(), waiting: 0, scope: new AbortController(), sent: false };
        setImmediate(() => send(opened));
        open = batch = opened;
      }
      const current = batch;
      const leave = () => {
        reject(new RequestEndedError());
        if (--current.waiting === 0) current.scope.abort(batchEnded);
      };
      const stopWatching = () => scope?.signal.removeEventListener("abort", leave);
      let waiters = current.byHash.get(hash);
      if (!waiters) current.byHash.set(hash, (waiters = []));
      waiters.push({
        resolve(row) {
          stopWatching();
          resolve(row);
        },
        reject(error) {
          stopWatching();
          reject(error);
        },
      });
      current.waiting++;
      scope?.signal.addEventListener("abort", leave, { once: true });
      if (current.byHash.size >= tokenLookupBatchMax) send(current);
    });
  };
}
