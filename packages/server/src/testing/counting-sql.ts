/** A pool that counts the statements it is handed (tagged-template calls), for tests of batching. */
import type { Db } from "../db/sql.js";

export function countingSql<S extends Db>(sql: S): { sql: S; statements: () => number } {
  let n = 0;
  const counted = new Proxy(sql, {
    apply(target, self, args) {
      n++;
      return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, self, args);
    },
  });
  return { sql: counted, statements: () => n };
}
