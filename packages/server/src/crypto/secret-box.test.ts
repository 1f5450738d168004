/**
 * Encryption at rest of secrets the server reads back (docs/configuration.md, Secrets):
 * AES-256-GCM with a key ring, contexts binding ciphertexts to their row and column, and the
 * RUNNERPLANE_SECRET_KEYS format.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createKeyRing, generateSecretKey, parseSecretKeys } from "./secret-box.js";

const key = (id: string) => ({ id, key: randomBytes(32) });
const context = "host-token:4a0c9d3e-0000-4000-8000-000000000001:token";

describe("createKeyRing", () => {
  it("decrypts what it encrypted", () => {
    const ring = createKeyRing([key("k1")]);
    for (const plaintext of ["ghp_secret", "", "ünïcødé ✓", "x".repeat(10_000)]) {
      const { keyId, ciphertext } = ring.encrypt(plaintext, context);
      expect(ring.decrypt(keyId, ciphertext, context)).toBe(plaintext);
    }
  });

  it("never stores the plaintext in the ciphertext", () => {
    const { ciphertext } = createKeyRing([key("k1")]).encrypt("ghp_plaintext_value", context);
    expect(ciphertext.toString("latin1")).not.toContain("ghp_plaintext_value");
  });

  it("encrypts with the first key and reports its id", () => {
    const ring = createKeyRing([key("new"), key("old")]);
    expect(ring.activeKeyId).toBe("new");
    expect(ring.encrypt("v", context).keyId).toBe("new");
  });

  it("still decrypts values of an older key after a new key is put in front (rotation)", () => {
    const old = key("old");
    const before = createKeyRing([old]).encrypt("made before rotation", context);
    expect(before.keyId).toBe("old");
    const rotated = createKeyRing([key("new"), old]);
    expect(rotated.decrypt(before.keyId, before.ciphertext, context)).toBe("made before rotation");
    const after = rotated.encrypt("made after rotation", context);
    expect(after.keyId).toBe("new");
    expect(rotated.decrypt(after.keyId, after.ciphertext, context)).toBe("made after rotation");
  });

  it("uses a fresh IV for every encryption: the same value encrypts differently each time", () => {
    const ring = createKeyRing([key("k1")]);
    const a = ring.encrypt("same", context).ciphertext;
    const b = ring.encrypt("same", context).ciphertext;
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
    // IV (12 bytes) + ciphertext (as long as the plaintext) + tag (16 bytes).
    expect(a).toHaveLength(12 + 4 + 16);
  });

  it("refuses a ciphertext bound to another row or column", () => {
    const ring = createKeyRing([key("k1")]);
    const { keyId, ciphertext } = ring.encrypt("secret", "host-token:row-1:token");
    expect(() => ring.decrypt(keyId, ciphertext, "host-token:row-2:token")).toThrow();
    expect(() => ring.decrypt(keyId, ciphertext, "host-token:row-1:refresh_token")).toThrow();
    expect(ring.decrypt(keyId, ciphertext, "host-token:row-1:token")).toBe("secret");
  });

  it("refuses a ciphertext with any byte flipped (IV, body or tag)", () => {
    const ring = createKeyRing([key("k1")]);
    const { keyId, ciphertext } = ring.encrypt("secret", context);
    for (let i = 0; i < ciphertext.length; i++) {
      const tampered = Buffer.from(ciphertext);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(() => ring.decrypt(keyId, tampered, context), `byte ${i}`).toThrow();
    }
  });

  it("refuses truncated ciphertexts", () => {
    const ring = createKeyRing([key("k1")]);
    const { keyId, ciphertext } = ring.encrypt("secret", context);
    for (const length of [0, 4, 12, 16, 27, ciphertext.length - 1]) {
      expect(() => ring.decrypt(keyId, ciphertext.subarray(0, length), context), `length ${length}`).toThrow();
    }
  });

  it("refuses a ciphertext of another key under the same id", () => {
    const made = createKeyRing([key("k1")]).encrypt("secret", context);
    expect(() => createKeyRing([key("k1")]).decrypt(made.keyId, made.ciphertext, context)).toThrow();
  });

  it("names an unknown key id clearly", () => {
    const ring = createKeyRing([key("k1")]);
    const { ciphertext } = ring.encrypt("secret", context);
    expect(() => ring.decrypt("gone", ciphertext, context)).toThrow("no secret key with id gone is configured");
  });

  it("needs at least one key of 32 bytes", () => {
    expect(() => createKeyRing([])).toThrow("at least one key");
    expect(() => createKeyRing([{ id: "short", key: randomBytes(16) }])).toThrow("secret key short must be 32 bytes");
  });
});

describe("parseSecretKeys", () => {
  const b64 = () => randomBytes(32).toString("base64");

  it("reads id:base64 entries in order, the first one active", () => {
    const k1 = b64();
    const k2 = b64();
    const keys = parseSecretKeys(`new-2:${k1}, old_1.a:${k2}`);
    expect(keys.map((k) => k.id)).toEqual(["new-2", "old_1.a"]);
    expect(keys[0]?.key.toString("base64")).toBe(k1);
    expect(keys[1]?.key.toString("base64")).toBe(k2);
    expect(createKeyRing(keys).activeKeyId).toBe("new-2");
  });

  it("ignores surrounding whitespace, a trailing newline and empty entries", () => {
    const keys = parseSecretKeys(`  k1:${b64()} ,, k2:${b64()}\n`);
    expect(keys.map((k) => k.id)).toEqual(["k1", "k2"]);
  });

  it.each([
    ["no id", () => `:${b64()}`],
    ["no colon", () => b64()],
    ["an id with a space", () => `my key:${b64()}`],
    ["an id with a slash", () => `a/b:${b64()}`],
    ["an id of 65 characters", () => `${"k".repeat(65)}:${b64()}`],
    ["a key of 16 bytes", () => `k1:${randomBytes(16).toString("base64")}`],
    ["a key of 33 bytes", () => `k1:${randomBytes(33).toString("base64")}`],
    ["an empty key", () => "k1:"],
    ["a key that is not base64", () => "k1:not-a-key"],
    ["one bad entry among good ones", () => `k1:${b64()},k2:short`],
  ])("rejects %s", (_what, value) => {
    expect(() => parseSecretKeys(value())).toThrow("<id>:<32 bytes in base64>");
  });

  it("rejects duplicate ids", () => {
    expect(() => parseSecretKeys(`k1:${b64()},k1:${b64()}`)).toThrow("secret key ids must be unique");
  });

  it.each(["", ",", " , "])("rejects a list without keys (%j)", (value) => {
    expect(() => parseSecretKeys(value)).toThrow("no secret key");
  });

  it("accepts an id of 64 characters", () => {
    expect(parseSecretKeys(`${"k".repeat(64)}:${b64()}`)).toHaveLength(1);
  });
});

describe("generateSecretKey", () => {
  it("makes a key parseSecretKeys reads, different each time", () => {
    const a = generateSecretKey("embedded-1");
    const b = generateSecretKey("embedded-1");
    expect(a).not.toBe(b);
    const [parsed] = parseSecretKeys(a);
    expect(parsed?.id).toBe("embedded-1");
    expect(parsed?.key).toHaveLength(32);
    const ring = createKeyRing(parseSecretKeys(`${generateSecretKey("k2")},${a}`));
    const { keyId, ciphertext } = ring.encrypt("round trip", context);
    expect(ring.decrypt(keyId, ciphertext, context)).toBe("round trip");
  });
});
