import { type Cursor, type PageTokens, pageSizeOf } from "./page-token.js";

export interface PaginateOptions<Row> {
  tokens: PageTokens;
  /** The method the page belongs to, e.g. "gitpod.v1.RunnerService/ListRunners". */
  method: string;
  /** The request's filter, normalized by the caller (absent and empty compare equal). */
  filter: unknown;
  pagination: { token: string; pageSize: number } | undefined;
  /** Rows after the cursor in list order, at most `limit`. */
  fetch: (after: Cursor | undefined, limit: number) => Promise<Row[]>;
  cursorOf: (row: Row) => Cursor;
}

/**
 * One keyset page: asks for one row more than the page holds to learn whether another page
 * follows, and returns the token that continues after the last row (empty on the last page).
 */
export async function paginate<Row>(o: PaginateOptions<Row>): Promise<{ rows: Row[]; nextToken: string }> {
  const size = pageSizeOf(o.pagination);
  const after = o.tokens.decode(o.method, o.filter, o.pagination?.token ?? "");
  const fetched = await o.fetch(after, size + 1);
  const rows = fetched.slice(0, size);
  const last = rows.at(-1);
  const nextToken = fetched.length > size && last ? o.tokens.encode(o.method, o.filter, o.cursorOf(last)) : "";
  return { rows, nextToken };
}
