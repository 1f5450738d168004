/**
 * Bearer tokens: `rp_<kind>_` + 32 random bytes in base64url. The prefix tells the kind at
 * a glance (and lets secret scanners find leaked tokens); only the SHA-256 of the whole
 * string is stored. See docs/identity.md.
 */
import { hash, randomBytes } from "node:crypto";

export type TokenKind = "personal_access" | "runner_access" | "runner_exchange" | "runner_logs";

const prefixes: Record<TokenKind, string> = {
  personal_access: "rp_pat_",
  runner_access: "rp_runner_",
  runner_exchange: "rp_exchange_",
  runner_logs: "rp_logs_",
};

const tokenPattern = /^rp_(pat|runner|exchange|logs)_[A-Za-z0-9_-]{43}$/;
const kindsByPrefix = new Map(Object.entries(prefixes).map(([kind, prefix]) => [prefix, kind as TokenKind]));

export interface NewToken {
  /** The secret, shown to its owner once. */
  token: string;
  hash: Buffer;
}

export function generateToken(kind: TokenKind): NewToken {
  const token = prefixes[kind] + randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

/**
 * The stored form of a token. `crypto.hash` is the one-shot digest (Node 20.12+): a fifth of
 * `createHash`'s cost in hex, which every authenticated call pays (docs/performance.md).
 */
export function hashToken(token: string): Buffer {
  return hash("sha256", token, "buffer");
}

/** The hex SHA-256 a token is looked up by. */
export function tokenLookupHash(token: string): string {
  return hash("sha256", token, "hex");
}

/** Session ids given to browsers (docs/sign-in.md): a token's shape, never a bearer token. */
const sessionPrefix = "rp_session_";
const sessionPattern = /^rp_session_[A-Za-z0-9_-]{43}$/;

/** A new session id for a cookie; only its hash is stored. */
export function generateSessionSecret(): NewToken {
  const token = sessionPrefix + randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

/** Whether a cookie's value is shaped like a session id (checked before any lookup). */
export function isSessionSecret(value: string): boolean {
  return sessionPattern.test(value);
}

/** The kind a well-formed token claims by its prefix; undefined for anything malformed. */
export function tokenKindOf(token: string): TokenKind | undefined {
  if (!tokenPattern.test(token)) return undefined;
  return kindsByPrefix.get(token.slice(0, token.indexOf("_", 3) + 1));
}
