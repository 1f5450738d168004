/**
 * Authentication's token lookups, batched (docs/identity.md, "Lookups batched"; the
 * mechanism is db/batcher.ts): the lookups that start in one turn of the event loop go out
 * as one statement when it ends, the same token once; a heartbeat's lookup may wait a
 * little longer for others to join it.
 */
import { tokenLookupHash } from "../crypto/tokens.js";
import { createBatcher } from "./batcher.js";
import type { Db } from "./sql.js";
import { type DbTokenForAuth, findTokensForAuth } from "./tokens.js";

/** A token's row for authentication; `lingerMs`: how long this lookup may wait for others to join it. */
export type TokenLookup = (token: string, lingerMs?: number) => Promise<DbTokenForAuth | undefined>;

/** The most tokens one statement looks up; a batch that fills up goes out at once. */
export const tokenLookupBatchMax = 100;

export function createTokenLookup(sql: Db): TokenLookup {
  const batched = createBatcher<string, undefined, DbTokenForAuth>({
    run: async (items) => {
      const rows = await findTokensForAuth(sql, [...items.keys()]);
      return new Map(rows.map((row) => [row.lookup_hash, row]));
    },
    merge: () => undefined,
    maxKeys: tokenLookupBatchMax,
  });
  return (token, lingerMs) => batched(tokenLookupHash(token), undefined, lingerMs);
}
