/**
 * Bearer tokens: `rp_<kind>_` + 32 random bytes in base64url. The prefix tells the kind at
 * a glance (and lets secret scanners find leaked tokens); only the SHA-256 of the whole
 * string is stored. See docs/identity.md.
 */
import { createHash, randomBytes } from "node:crypto";

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

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The kind a well-formed token claims by its prefix; undefined for anything malformed. */
export function tokenKindOf(token: string): TokenKind | undefined {
  if (!tokenPattern.test(token)) return undefined;
  return kindsByPrefix.get(token.slice(0, token.indexOf("_", 3) + 1));
}
