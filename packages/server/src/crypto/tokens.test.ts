import { describe, expect, it } from "vitest";
import { generateToken, hashToken, type TokenKind, tokenKindOf, tokenLookupHash } from "./tokens.js";

describe("generateToken", () => {
  it.each([
    ["personal_access", "rp_pat_"],
    ["runner_access", "rp_runner_"],
    ["runner_exchange", "rp_exchange_"],
    ["runner_logs", "rp_logs_"],
  ] as [TokenKind, string][])("gives %s tokens the prefix %s and 256 random bits", (kind, prefix) => {
    const { token, hash } = generateToken(kind);
    expect(token.startsWith(prefix)).toBe(true);
    expect(Buffer.from(token.slice(prefix.length), "base64url")).toHaveLength(32);
    expect(hash).toEqual(hashToken(token));
    expect(tokenKindOf(token)).toBe(kind);
  });

  it("never repeats itself", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken("personal_access").token));
    expect(tokens.size).toBe(1000);
  });
});

describe("tokenKindOf", () => {
  it.each([
    "",
    "rp_pat_",
    `rp_pat_${"a".repeat(42)}`,
    `rp_pat_${"a".repeat(44)}`,
    `rp_xyz_${"a".repeat(43)}`,
    `rp_pat_${"a".repeat(42)}=`,
    `RP_PAT_${"a".repeat(43)}`,
    ` rp_pat_${"a".repeat(43)}`,
  ])("rejects the malformed token %j", (token) => {
    expect(tokenKindOf(token)).toBeUndefined();
  });
});

describe("hashToken", () => {
  it("is SHA-256 of the whole token string", () => {
    expect(hashToken("abc").toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("tokenLookupHash", () => {
  it("is the stored hash in hex, for a non-ASCII string too (UTF-8, as the stored hash)", () => {
    for (const token of ["abc", generateToken("runner_access").token, "rp_é_☃"]) {
      expect(tokenLookupHash(token)).toBe(hashToken(token).toString("hex"));
    }
    expect(tokenLookupHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
