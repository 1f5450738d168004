/**
 * Opaque keyset page tokens, bound to the method and filter that produced them and signed
 * so that a tampered token is refused (docs/runners.md#pagination).
 */
import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Position after the last item of a page: its creation time (ms) and id, and for a list in
 * another order (ListMembers by name) the sort key that comes first.
 */
export interface Cursor {
  createdAt: Date;
  id: string;
  key?: string;
}

export interface PageTokens {
  encode(method: string, filter: unknown, cursor: Cursor): string;
  /** The cursor in `token`, or undefined for an empty token (first page). */
  decode(method: string, filter: unknown, token: string): Cursor | undefined;
}

interface Payload {
  /** method */
  m: string;
  /** filter hash */
  f: string;
  /** created_at in ms */
  t: number;
  /** id */
  i: string;
  /** sort key, for lists ordered by something before (created_at, id) */
  k?: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createPageTokens(key: Buffer): PageTokens {
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest();
  return {
    encode(method, filter, cursor) {
      const payload: Payload = {
        m: method,
        f: filterHash(filter),
        t: cursor.createdAt.getTime(),
        i: cursor.id,
        ...(cursor.key !== undefined ? { k: cursor.key } : {}),
      };
      const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
      return `${body}.${sign(body).toString("base64url")}`;
    },
    decode(method, filter, token) {
      if (token === "") return undefined;
      const [body, mac, extra] = token.split(".");
      if (!body || !mac || extra !== undefined) throw invalidToken();
      // Compare the MAC as text: decoding it first would ignore stray characters and the
      // spare bits of the last one, so altered tokens would still verify.
      const expected = Buffer.from(sign(body).toString("base64url"));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidToken();
      let payload: Payload;
      try {
        payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
      } catch {
        throw invalidToken();
      }
      if (typeof payload !== "object" || payload === null) throw invalidToken();
      if (payload.m !== method || payload.f !== filterHash(filter)) {
        throw new ConnectError(
          "pagination.token was issued for another method or filter; repeat the first request's filter or start over without a token",
          Code.InvalidArgument,
        );
      }
      if (
        !Number.isSafeInteger(payload.t) ||
        typeof payload.i !== "string" ||
        !uuidPattern.test(payload.i) ||
        (payload.k !== undefined && typeof payload.k !== "string")
      ) {
        throw invalidToken();
      }
      return {
        createdAt: new Date(payload.t),
        id: payload.i,
        ...(payload.k !== undefined ? { key: payload.k } : {}),
      };
    },
  };
}

function invalidToken(): ConnectError {
  return new ConnectError("pagination.token is not a valid page token", Code.InvalidArgument);
}

/** Filters compare by content: arrays as sets, object keys in any order. */
function filterHash(filter: unknown): string {
  return hash("sha256", canonical(filter), "base64url").slice(0, 22);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${[...new Set(value.map(canonical))].sort().join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Page size: absent or 0 means 25; validation already refused anything over 100. */
export function pageSizeOf(pagination: { pageSize: number } | undefined): number {
  return pagination?.pageSize || 25;
}

/**
 * Page tokens signed with the key kept in the database (created on first use), loaded
 * once per process.
 */
export function pageTokensFromDatabase(loadKey: () => Promise<Buffer>): () => Promise<PageTokens> {
  let tokens: Promise<PageTokens> | undefined;
  return () => {
    tokens ??= loadKey().then(createPageTokens);
    // A failed load (database down) is retried on the next call instead of cached.
    tokens.catch(() => {
      tokens = undefined;
    });
    return tokens;
  };
}
