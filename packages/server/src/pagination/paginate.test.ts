/**
 * Keyset pagination (behaviour.md §7) over an in-memory data source that behaves like the
 * SQL: rows after the cursor in (created_at, id) order, at most `limit` of them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { type Cursor, createPageTokens } from "./page-token.js";
import { type PaginateOptions, paginate } from "./paginate.js";

interface Item {
  id: string;
  createdAt: Date;
  name: string;
}

const tokens = createPageTokens(randomBytes(32));
const method = "gitpod.v1.RunnerService/ListRunners";
const filter = { kinds: ["remote"], creatorIds: [] as string[] };
const start = Date.parse("2024-01-01T00:00:00.000Z");

function compare(a: Cursor, b: Cursor): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `count` items; every third shares its creation time with the one before (ties broken by id). */
function makeItems(count: number, offset = 0): Item[] {
  return Array.from({ length: count }, (_, n) => ({
    id: randomUUID(),
    createdAt: new Date(start + Math.floor(((n + offset) * 2) / 3) * 1000),
    name: `item ${n + offset}`,
  }));
}

function inListOrder(items: Item[]): Item[] {
  return [...items].sort(compare);
}

/** A data source over `items` (read at each call, so the test can change it between pages). */
function source(items: Item[]) {
  const limits: number[] = [];
  const afters: (Cursor | undefined)[] = [];
  const fetch = async (after: Cursor | undefined, limit: number): Promise<Item[]> => {
    limits.push(limit);
    afters.push(after);
    return inListOrder(items)
      .filter((item) => after === undefined || compare(item, after) > 0)
      .slice(0, limit);
  };
  return { fetch, limits, afters };
}

function options(
  fetch: PaginateOptions<Item>["fetch"],
  pagination: { token: string; pageSize: number } | undefined,
  f: unknown = filter,
): PaginateOptions<Item> {
  return { tokens, method, filter: f, pagination, fetch, cursorOf: (item) => item };
}

/** Every page from the first, with `pageSize`; `between` runs before each later page with the rows so far. */
async function walk(items: Item[], pageSize: number, between?: (seen: Item[]) => void) {
  const { fetch } = source(items);
  const pages: Item[][] = [];
  const nextTokens: string[] = [];
  let token = "";
  do {
    if (pages.length > 0) between?.(pages.flat());
    const page = await paginate(options(fetch, { token, pageSize }));
    pages.push(page.rows);
    nextTokens.push(page.nextToken);
    token = page.nextToken;
    if (pages.length > 1000) throw new Error("pagination does not end");
  } while (token !== "");
  return { pages, nextTokens };
}

describe("paginate", () => {
  it.each([1, 2, 3, 7, 10, 25, 100])("returns every item exactly once, in order, with pages of %i", async (size) => {
    const items = makeItems(53);
    const { pages, nextTokens } = await walk(items, size);
    expect(pages.flat().map((i) => i.id)).toEqual(inListOrder(items).map((i) => i.id));
    expect(pages).toHaveLength(Math.ceil(53 / size));
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(size);
    expect(nextTokens.at(-1)).toBe("");
    for (const t of nextTokens.slice(0, -1)) expect(t).not.toBe("");
  });

  it("orders items of the same creation time by id", async () => {
    const at = new Date(start);
    const items = Array.from({ length: 10 }, (_, n) => ({ id: randomUUID(), createdAt: at, name: `${n}` }));
    const { pages } = await walk(items, 3);
    expect(pages.flat().map((i) => i.id)).toEqual(items.map((i) => i.id).sort());
  });

  it("asks the data source for one row more than the page holds", async () => {
    const { fetch, limits } = source(makeItems(5));
    await paginate(options(fetch, { token: "", pageSize: 2 }));
    await paginate(options(fetch, { token: "", pageSize: 100 }));
    await paginate(options(fetch, undefined));
    expect(limits).toEqual([3, 101, 26]);
  });

  it("starts from the beginning without a token and continues after the last row of the page", async () => {
    const items = makeItems(6);
    const { fetch, afters } = source(items);
    const first = await paginate(options(fetch, { token: "", pageSize: 2 }));
    await paginate(options(fetch, { token: first.nextToken, pageSize: 2 }));
    const last = first.rows.at(-1);
    expect(afters).toEqual([undefined, { createdAt: last?.createdAt, id: last?.id }]);
  });

  it("pages 25 items at a time by default (absent pagination or page size 0)", async () => {
    const items = makeItems(60);
    const { fetch } = source(items);
    for (const pagination of [undefined, { token: "", pageSize: 0 }]) {
      const first = await paginate(options(fetch, pagination));
      expect(first.rows).toHaveLength(25);
      const second = await paginate(options(fetch, { token: first.nextToken, pageSize: 0 }));
      expect(second.rows).toHaveLength(25);
      const third = await paginate(options(fetch, { token: second.nextToken, pageSize: 0 }));
      expect(third.rows).toHaveLength(10);
      expect(third.nextToken).toBe("");
    }
  });

  it("gives one page and no token when the page size equals the item count", async () => {
    const items = makeItems(7);
    const { pages, nextTokens } = await walk(items, 7);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toHaveLength(7);
    expect(nextTokens).toEqual([""]);
  });

  it("gives a token when one item more than the page remains", async () => {
    const { pages, nextTokens } = await walk(makeItems(8), 7);
    expect(pages.map((p) => p.length)).toEqual([7, 1]);
    expect(nextTokens[0]).not.toBe("");
    expect(nextTokens[1]).toBe("");
  });

  it("gives an empty page and no token for an empty list", async () => {
    const { fetch } = source([]);
    expect(await paginate(options(fetch, undefined))).toEqual({ rows: [], nextToken: "" });
  });

  it("neither repeats nor skips other items when items are inserted and deleted between pages", async () => {
    const items = makeItems(30);
    const original = inListOrder(items);
    const deletedUnseen = new Set<string>();
    const late: Item[] = [];
    const { pages } = await walk(items, 4, (seen) => {
      const seenIds = new Set(seen.map((i) => i.id));
      // Delete one item already returned and one not yet returned; insert one before the
      // cursor (an old creation time, so never returned) and one after everything.
      const returned = items.find((i) => seenIds.has(i.id));
      const ahead = inListOrder(items).find((i) => !seenIds.has(i.id));
      for (const gone of [returned, ahead]) if (gone) items.splice(items.indexOf(gone), 1);
      if (ahead) deletedUnseen.add(ahead.id);
      const n = late.length;
      items.push({ id: randomUUID(), createdAt: new Date(start - 1000 - n), name: `early ${n}` });
      const newest = { id: randomUUID(), createdAt: new Date(start + 3_600_000 + n), name: `late ${n}` };
      items.push(newest);
      late.push(newest);
    });
    expect(deletedUnseen.size).toBeGreaterThan(3);
    expect(pages.flat().map((i) => i.id)).toEqual([
      ...original.filter((i) => !deletedUnseen.has(i.id)).map((i) => i.id),
      ...late.map((i) => i.id),
    ]);
  });

  it("refuses a token reused with another filter", async () => {
    const { fetch, limits } = source(makeItems(10));
    const first = await paginate(options(fetch, { token: "", pageSize: 3 }));
    const error = await paginate(options(fetch, { token: first.nextToken, pageSize: 3 }, { kinds: ["local"] })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain("another method or filter");
    expect(limits).toHaveLength(1);
  });

  it("refuses a token reused with another method", async () => {
    const { fetch } = source(makeItems(10));
    const first = await paginate(options(fetch, { token: "", pageSize: 3 }));
    await expect(
      paginate({ ...options(fetch, { token: first.nextToken, pageSize: 3 }), method: "gitpod.v1.Other/List" }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("accepts a token with the same filter given in another order", async () => {
    const items = makeItems(10);
    const { fetch } = source(items);
    const f = { kinds: ["remote", "local"], creatorIds: ["a", "b"] };
    const first = await paginate(options(fetch, { token: "", pageSize: 4 }, f));
    const second = await paginate(
      options(fetch, { token: first.nextToken, pageSize: 4 }, { creatorIds: ["b", "a"], kinds: ["local", "remote"] }),
    );
    expect(second.rows.map((i) => i.id)).toEqual(
      inListOrder(items)
        .slice(4, 8)
        .map((i) => i.id),
    );
  });

  it("refuses a tampered token before reading any rows", async () => {
    const { fetch, limits } = source(makeItems(10));
    const first = await paginate(options(fetch, { token: "", pageSize: 3 }));
    await expect(paginate(options(fetch, { token: `${first.nextToken}x`, pageSize: 3 }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(limits).toHaveLength(1);
  });
});
