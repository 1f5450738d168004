/**
 * Calls gathered into one statement (docs/database-faults.md, "Batched statements"): the
 * token lookups of authentication, its runner reads, the heartbeats' status writes and the
 * relay's statements (relay/batched-rows.ts).
 *
 * A batch opens with its first call and goes out at the end of that turn of the event
 * loop, or — when every call in it may wait (`lingerMs`, heartbeats) — once the earliest of
 * their lingers has passed, or at once when it holds `maxKeys` keys. Calls for the same key
 * share one place in the statement (`merge` combines their items, in the order they came)
 * and get the same result.
 *
 * A batch of one call runs its statement in that call's own request scope, exactly as it
 * would unbatched. A batch of several is, for the query guard (db/query-guard.ts), a request
 * of its own: its statement runs in a scope that ends once no call waits on it any more, so
 * it fails at once while the database is down and is dropped when every caller has gone; a
 * write that lost its connection marks every caller's outcome unknown. Either way each call
 * stops waiting as soon as its own scope ends (its deadline, its client gone), as its own
 * statement would have, and the others still get their results. A key every caller of
 * which left before the batch went out is left out of the statement.
 */
import { RequestEndedError } from "./connection-errors.js";
import { currentRequestScope, type RequestScope, runInRequestScope, runInScope } from "./request-scope.js";

export interface BatcherOptions<K, I, R> {
  /** The one statement for a batch: a result for each key it has one for. */
  run(items: ReadonlyMap<K, I>): Promise<ReadonlyMap<K, R>>;
  /** A second call's item for a key already in the batch, combined with the first. */
  merge(earlier: I, later: I): I;
  /** The most keys in one statement; a batch that fills up goes out at once. */
  maxKeys: number;
  /**
   * Whether a failed statement may have failed for one key's item (its data): the batch is
   * then run again key by key, so that each call gets its own outcome and one caller's bad
   * item fails nobody else's call.
   */
  isolates?(error: unknown): boolean;
}

/** One call: its key's result, or undefined when the statement had none for it. */
export type Batched<K, I, R> = (key: K, item: I, lingerMs?: number) => Promise<R | undefined>;

interface Waiter<R> {
  scope: RequestScope | undefined;
  left: boolean;
  resolve(result: R | undefined): void;
  reject(error: unknown): void;
}

interface Entry<I, R> {
  item: I;
  waiters: Waiter<R>[];
}

interface Batch<K, I, R> {
  entries: Map<K, Entry<I, R>>;
  /** Calls still waiting. */
  waiting: number;
  /** A batch of several calls: its own scope, ended when the last of them leaves. */
  scope: AbortController | undefined;
  sent: boolean;
  /** When it goes out (performance.now()), and what sends it then. */
  dueAt: number;
  timer: { timeout: ReturnType<typeof setTimeout> } | { immediate: ReturnType<typeof setImmediate> } | undefined;
}

type Outcome<R> = { ok: true; result: R | undefined } | { ok: false; error: unknown };

/** Why a batch's scope ended: nobody waits for it, or it is done. One object for all. */
const batchEnded = new Error("the batched statement has no caller left");

export function createBatcher<K, I, R>(options: BatcherOptions<K, I, R>): Batched<K, I, R> {
  let open: Batch<K, I, R> | undefined;

  const cancelTimer = (batch: Batch<K, I, R>) => {
    const timer = batch.timer;
    if (timer === undefined) return;
    if ("timeout" in timer) clearTimeout(timer.timeout);
    else clearImmediate(timer.immediate);
    batch.timer = undefined;
  };

  /** Sends `batch` at `dueAt` at the latest: the end of this turn for 0. */
  const scheduleBy = (batch: Batch<K, I, R>, lingerMs: number) => {
    const dueAt = performance.now() + lingerMs;
    if (batch.timer !== undefined && dueAt >= batch.dueAt) return;
    cancelTimer(batch);
    batch.dueAt = dueAt;
    batch.timer =
      lingerMs > 0
        ? { timeout: setTimeout(() => send(batch), lingerMs) }
        : { immediate: setImmediate(() => send(batch)) };
  };

  const send = (batch: Batch<K, I, R>) => {
    if (open === batch) open = undefined;
    cancelTimer(batch);
    if (batch.sent || batch.waiting === 0) return;
    batch.sent = true;
    const items = new Map<K, I>();
    for (const [key, entry] of batch.entries) if (entry.waiters.some((w) => !w.left)) items.set(key, entry.item);
    // A postgres.js statement belongs to the scope it is first awaited in: awaited in there.
    const statement = async (): Promise<Map<K, Outcome<R>>> => {
      try {
        const found = await options.run(items);
        return new Map([...items.keys()].map((key) => [key, { ok: true, result: found.get(key) }]));
      } catch (error) {
        if (items.size < 2 || !options.isolates?.(error)) throw error;
        const each = [...items].map(async ([key, item]): Promise<[K, Outcome<R>]> => {
          try {
            return [key, { ok: true, result: (await options.run(new Map([[key, item]]))).get(key) }];
          } catch (error) {
            return [key, { ok: false, error }];
          }
        });
        return new Map(await Promise.all(each));
      }
    };
    let outcomes: Promise<Map<K, Outcome<R>>>;
    let ownScope: RequestScope | undefined;
    if (batch.waiting === 1) {
      const only = [...batch.entries.values()].flatMap((e) => e.waiters).find((w) => !w.left);
      outcomes = runInScope(only?.scope, statement);
    } else {
      const scope = new AbortController();
      batch.scope = scope;
      outcomes = runInRequestScope(scope.signal, () => {
        ownScope = currentRequestScope();
        return statement();
      });
      void outcomes.catch(() => {}).finally(() => scope.abort(batchEnded));
    }
    const fail = (w: Waiter<R>, error: unknown) => {
      if (ownScope?.outcomeUnknown && w.scope) w.scope.outcomeUnknown = true;
      w.reject(error);
    };
    outcomes.then(
      (byKey) => {
        for (const [key, entry] of batch.entries) {
          // A key not in the statement has no caller left to tell.
          const outcome = byKey.get(key) ?? { ok: true, result: undefined };
          for (const w of entry.waiters) {
            if (outcome.ok) w.resolve(outcome.result);
            else fail(w, outcome.error);
          }
        }
      },
      (error: unknown) => {
        for (const entry of batch.entries.values()) for (const w of entry.waiters) fail(w, error);
      },
    );
  };

  return (key, item, lingerMs = 0) => {
    const scope = currentRequestScope();
    // As the guard refuses a statement of a call already answered.
    if (scope?.signal.aborted) return Promise.reject(new RequestEndedError());
    return new Promise<R | undefined>((resolve, reject) => {
      const batch: Batch<K, I, R> = open ?? {
        entries: new Map(),
        waiting: 0,
        scope: undefined,
        sent: false,
        dueAt: Number.POSITIVE_INFINITY,
        timer: undefined,
      };
      open = batch;
      const stopWatching = () => scope?.signal.removeEventListener("abort", leave);
      const waiter: Waiter<R> = {
        scope,
        left: false,
        resolve(result) {
          stopWatching();
          resolve(result);
        },
        reject(error) {
          stopWatching();
          reject(error);
        },
      };
      function leave() {
        waiter.left = true;
        reject(new RequestEndedError());
        if (--batch.waiting === 0) batch.scope?.abort(batchEnded);
      }
      const entry = batch.entries.get(key);
      if (entry) {
        entry.item = options.merge(entry.item, item);
        entry.waiters.push(waiter);
      } else {
        batch.entries.set(key, { item, waiters: [waiter] });
      }
      batch.waiting++;
      scope?.signal.addEventListener("abort", leave, { once: true });
      if (batch.entries.size >= options.maxKeys) send(batch);
      else scheduleBy(batch, Math.max(0, lingerMs));
    });
  };
}
