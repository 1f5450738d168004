/**
 * Page tokens (behaviour.md §7, docs/runners.md#pagination): opaque, signed, bound to the
 * method and filter that produced them; anything malformed or tampered is invalid_argument.
 */
import { createHmac, randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { type Cursor, createPageTokens, pageSizeOf, pageTokensFromDatabase } from "./page-token.js";

const key = randomBytes(32);
const tokens = createPageTokens(key);
const method = "gitpod.v1.RunnerService/ListRunners";
const filter = { creatorIds: ["b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e"], kinds: ["remote", "local"], providers: [] };
const cursor: Cursor = { createdAt: new Date("2024-05-06T07:08:09.123Z"), id: "0189c8a4-5f1e-7a3b-8c2d-1e2f3a4b5c6d" };
const token = tokens.encode(method, filter, cursor);

const invalidMessage = "pagination.token is not a valid page token";
const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The error `fn` throws, as a ConnectError; fails the test when it throws nothing. */
function thrown(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }
  throw new Error("expected the call to throw");
}

function refusedAsInvalid(t: string): void {
  const error = thrown(() => tokens.decode(method, filter, t));
  expect(error.code).toBe(Code.InvalidArgument);
  expect(error.rawMessage).toBe(invalidMessage);
}

/** A token whose MAC is valid (signed with the test key) over an arbitrary payload text. */
function signed(payloadText: string): string {
  const body = Buffer.from(payloadText).toString("base64url");
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

/** The payload of `token`, decoded, to be altered and signed again. */
function payloadOf(t: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(t.split(".")[0] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

/** `s` with the character at `index` replaced by a different base64url character. */
function flipAt(s: string, index: number): string {
  const at = base64url.indexOf(s.charAt(index));
  const other = base64url.charAt((at + 1) % base64url.length);
  return s.slice(0, index) + other + s.slice(index + 1);
}

describe("createPageTokens", () => {
  it("round-trips a cursor (millisecond time and id)", () => {
    expect(tokens.decode(method, filter, token)).toEqual(cursor);
  });

  it("round-trips a sort key before the time and id, and leaves it out when there is none", () => {
    const byName = { ...cursor, key: 'Zoë O\'Brien, "ops"' };
    expect(tokens.decode(method, filter, tokens.encode(method, filter, byName))).toEqual(byName);
    expect(tokens.decode(method, filter, token)).not.toHaveProperty("key");
  });

  it("round-trips the epoch and times before it", () => {
    for (const createdAt of [new Date(0), new Date(-86_400_001), new Date("2099-12-31T23:59:59.999Z")]) {
      const c = { createdAt, id: cursor.id };
      expect(tokens.decode(method, filter, tokens.encode(method, filter, c))).toEqual(c);
    }
  });

  it("reads an empty token as the first page", () => {
    expect(tokens.decode(method, filter, "")).toBeUndefined();
  });

  it("accepts the tokens of another instance with the same key (another replica, a restart)", () => {
    expect(createPageTokens(Buffer.from(key)).decode(method, filter, token)).toEqual(cursor);
  });

  it("refuses a token issued for another method", () => {
    const error = thrown(() => tokens.decode("gitpod.v1.RunnerService/ListRunnerPolicies", filter, token));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^pagination\.token: |^pagination\.token /);
    expect(error.rawMessage).toContain("another method or filter");
  });

  it.each([
    ["an item more", { ...filter, kinds: ["remote", "local", "local_configuration"] }],
    ["an item less", { ...filter, kinds: ["remote"] }],
    ["another item", { ...filter, creatorIds: ["c0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e"] }],
    ["a list emptied", { ...filter, kinds: [] }],
    ["another property", { ...filter, runnerIds: [] }],
    ["a property dropped", { creatorIds: filter.creatorIds, kinds: filter.kinds }],
    ["no filter at all", undefined],
    ["a number for a string", { ...filter, providers: [1] }],
  ])("refuses a token issued for another filter (%s)", (_what, other) => {
    const error = thrown(() => tokens.decode(method, other, token));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("another method or filter");
  });

  it("tells apart filters that differ only in nesting or in the type of a value", () => {
    const pairs: [unknown, unknown][] = [
      [{ a: ["x", "y"] }, { a: ["x,y"] }],
      [{ a: "1" }, { a: 1 }],
      [{ a: true }, { a: "true" }],
      [{ a: { b: 1 } }, { a: { c: 1 } }],
      [{ a: [] }, { b: [] }],
      [{ a: null }, { a: 0 }],
    ];
    for (const [first, second] of pairs) {
      const t = tokens.encode(method, first, cursor);
      expect(tokens.decode(method, first, t)).toEqual(cursor);
      expect(thrown(() => tokens.decode(method, second, t)).rawMessage).toContain("another method or filter");
    }
  });

  it("compares filters by content: list items and object keys in any order", () => {
    const reordered = {
      providers: [],
      kinds: ["local", "remote"],
      creatorIds: [...filter.creatorIds],
    };
    expect(tokens.decode(method, reordered, token)).toEqual(cursor);

    const nested = { b: [{ y: 2, x: 1 }, "s"], a: { d: [3, 1, 2], c: "c" } };
    const nestedToken = tokens.encode(method, nested, cursor);
    expect(tokens.decode(method, { a: { c: "c", d: [1, 2, 3] }, b: ["s", { x: 1, y: 2 }] }, nestedToken)).toEqual(
      cursor,
    );
  });

  it("ignores properties whose value is undefined", () => {
    expect(tokens.decode(method, { ...filter, runnerIds: undefined }, token)).toEqual(cursor);
    const sparse = tokens.encode(method, { kinds: ["remote"], enabled: undefined }, cursor);
    expect(tokens.decode(method, { kinds: ["remote"] }, sparse)).toEqual(cursor);
  });

  it("refuses a token signed with another key", () => {
    const foreign = createPageTokens(randomBytes(32)).encode(method, filter, cursor);
    expect(foreign).not.toBe(token);
    refusedAsInvalid(foreign);
  });

  it("refuses a token with any one character of its payload changed", () => {
    const dot = token.indexOf(".");
    for (let i = 0; i < dot; i++) refusedAsInvalid(flipAt(token, i));
  });

  it("refuses a token with any one character of its MAC changed", () => {
    const dot = token.indexOf(".");
    for (let i = dot + 1; i < token.length; i++) refusedAsInvalid(flipAt(token, i));
  });

  it("refuses a token with characters appended to its MAC", () => {
    for (const suffix of ["A", "=", "==", "!", " ", "\n", "+", "/"]) refusedAsInvalid(token + suffix);
  });

  it("refuses a truncated token", () => {
    const dot = token.indexOf(".");
    for (const cut of [
      1,
      2,
      10,
      token.length - dot - 1,
      token.length - dot,
      token.length - dot + 1,
      token.length - 1,
    ]) {
      refusedAsInvalid(token.slice(0, token.length - cut));
    }
    refusedAsInvalid(token.slice(1));
    refusedAsInvalid(token.slice(dot));
  });

  it.each([
    ["an extra part", `${token}.x`],
    ["a trailing dot", `${token}.`],
    ["a doubled MAC", `${token}.${token.split(".")[1]}`],
    ["no dot", token.replace(".", "")],
    ["only a dot", "."],
    ["two dots", ".."],
    ["a lone payload", `${token.split(".")[0]}.`],
    ["a lone MAC", `.${token.split(".")[1]}`],
    ["not base64 at all", "%%%%.&&&&"],
    ["plain text", "next page please"],
    ["a UUID", cursor.id],
    ["standard base64 padding in the payload", `${token.split(".")[0]}=.${token.split(".")[1]}`],
  ])("refuses a malformed token (%s)", (_what, t) => {
    refusedAsInvalid(t);
  });

  describe("with a valid MAC over a bad payload", () => {
    const genuine = payloadOf(token);

    it("accepts the payload re-signed unchanged (the test's signing is the real one)", () => {
      expect(tokens.decode(method, filter, signed(JSON.stringify(genuine)))).toEqual(cursor);
    });

    it.each([
      ["a fractional time", { t: 1.5 }],
      ["a time as a string", { t: String(cursor.createdAt.getTime()) }],
      ["a time of null", { t: null }],
      ["no time", { t: undefined }],
      ["an unsafe integer time", { t: 2 ** 53 }],
      ["a malformed id", { i: "not-a-uuid" }],
      ["an empty id", { i: "" }],
      ["an id too long", { i: `${cursor.id}0` }],
      ["an id of SQL", { i: "' or 1=1 --" }],
      ["an id as a number", { i: 42 }],
      ["no id", { i: undefined }],
      ["a sort key as a number", { k: 7 }],
      ["a sort key of null", { k: null }],
    ])("refuses %s", (_what, change) => {
      refusedAsInvalid(signed(JSON.stringify({ ...genuine, ...change })));
    });

    it.each([
      ["not JSON", "not json"],
      ["truncated JSON", JSON.stringify(genuine).slice(0, -1)],
      ["JSON null", "null"],
      ["a JSON number", "42"],
      ["a JSON string", '"x"'],
      ["a JSON array", "[]"],
      ["an empty object", "{}"],
    ])("refuses %s as invalid_argument", (_what, text) => {
      const error = thrown(() => tokens.decode(method, filter, signed(text)));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^pagination\.token /);
    });
  });

  it("issues opaque base64url tokens that show neither the id, the method nor JSON", () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(token).not.toContain(cursor.id);
    expect(token).not.toContain(method);
    expect(token).not.toContain('"');
    expect(token).not.toContain("{");
    expect(token).not.toContain("=");
  });

  it("binds the token to the key: the same cursor signed with another key differs", () => {
    expect(createPageTokens(randomBytes(32)).encode(method, filter, cursor).split(".")[1]).not.toBe(
      token.split(".")[1],
    );
  });
});

describe("pageSizeOf", () => {
  it("defaults an absent pagination to 25", () => {
    expect(pageSizeOf(undefined)).toBe(25);
  });

  it("defaults a page size of 0 to 25", () => {
    expect(pageSizeOf({ pageSize: 0 })).toBe(25);
  });

  it.each([1, 2, 24, 25, 26, 99, 100])("keeps the page size %i", (pageSize) => {
    expect(pageSizeOf({ pageSize })).toBe(pageSize);
  });
});

describe("pageTokensFromDatabase", () => {
  it("loads the key once for many calls, concurrent or not", async () => {
    const loadKey = vi.fn(async () => key);
    const get = pageTokensFromDatabase(loadKey);
    const concurrent = await Promise.all([get(), get(), get()]);
    const later = await get();
    expect(loadKey).toHaveBeenCalledTimes(1);
    for (const t of [...concurrent, later]) expect(t).toBe(later);
    expect(later.decode(method, filter, token)).toEqual(cursor);
  });

  it("does not load the key before the first call", () => {
    const loadKey = vi.fn(async () => key);
    pageTokensFromDatabase(loadKey);
    expect(loadKey).not.toHaveBeenCalled();
  });

  it("retries a failed load on the next call instead of caching the failure", async () => {
    const loadKey = vi
      .fn<() => Promise<Buffer>>()
      .mockRejectedValueOnce(new Error("database down"))
      .mockResolvedValue(key);
    const get = pageTokensFromDatabase(loadKey);
    const [first, second] = await Promise.allSettled([get(), get()]);
    expect(first.status).toBe("rejected");
    expect(second.status).toBe("rejected");
    expect(loadKey).toHaveBeenCalledTimes(1);

    const recovered = await get();
    expect(loadKey).toHaveBeenCalledTimes(2);
    expect(recovered.decode(method, filter, token)).toEqual(cursor);
    expect(await get()).toBe(recovered);
    expect(loadKey).toHaveBeenCalledTimes(2);
  });

  it("keeps retrying while the load keeps failing", async () => {
    const loadKey = vi.fn<() => Promise<Buffer>>().mockRejectedValue(new Error("database down"));
    const get = pageTokensFromDatabase(loadKey);
    await expect(get()).rejects.toThrow("database down");
    await expect(get()).rejects.toThrow("database down");
    await expect(get()).rejects.toThrow("database down");
    expect(loadKey).toHaveBeenCalledTimes(3);
  });
});

describe("filter comparison", () => {
  it("treats filter lists as sets: duplicates do not make another filter", () => {
    const tokens = createPageTokens(Buffer.alloc(32, 1));
    const cursor = { createdAt: new Date(1_700_000_000_000), id: "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b" };
    const token = tokens.encode("m", { kinds: ["remote", "remote"] }, cursor);
    expect(tokens.decode("m", { kinds: ["remote"] }, token)).toEqual(cursor);
  });
});
