/**
 * A pool that counts the statements it runs, for tests of batching: a tagged-template call
 * counts once it is executed (awaited), so fragments nested in a statement do not count.
 */
import type { Db } from "../db/sql.js";

export function countingSql<S extends Db>(sql: S): { sql: S; statements: () => number } {
  let n = 0;
  const counted = new Proxy(sql, {
    apply(target, self, args) {
      const query = Reflect.apply(
        target as unknown as (...a: unknown[]) => unknown,
        self,
        args,
      ) as PromiseLike<unknown>;
      const then = query.then;
      let executed = false;
      // biome-ignore lint/suspicious/noThenProperty: postgres.js sends a statement when it is first awaited (a nested fragment never is), so that is where it counts.
      query.then = function (this: PromiseLike<unknown>, ...handlers) {
        if (!executed) {
          executed = true;
          n++;
        }
        return then.apply(this, handlers) as never;
      };
      return query;
    },
  });
  return { sql: counted, statements: () => n };
}
