/**
 * Encryption at rest for secrets the server must read back (host authentication tokens,
 * runner metrics passwords): AES-256-GCM from Node's crypto, a fresh 96-bit IV per value,
 * the key id stored beside the ciphertext, and associated data binding each ciphertext to
 * its row and column.
 * A key ring holds every key that may still have ciphertexts; the first one encrypts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export interface SecretKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface KeyRing {
  /** Id of the key new values are encrypted with. */
  readonly activeKeyId: string;
  /** Encrypts with the active (first) key. `context` is authenticated, not stored. */
  encrypt(plaintext: string, context: string): { keyId: string; ciphertext: Buffer };
  /** Decrypts with the key the value was made with; throws if it was altered or moved. */
  decrypt(keyId: string, ciphertext: Buffer, context: string): string;
}

const ivBytes = 12;
const tagBytes = 16;

export function createKeyRing(keys: readonly SecretKey[]): KeyRing {
  const active = keys[0];
  if (!active) throw new Error("a key ring needs at least one key");
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  for (const k of keys) {
    if (k.key.length !== 32) throw new Error(`secret key ${k.id} must be 32 bytes`);
  }
  return {
    activeKeyId: active.id,
    encrypt(plaintext, context) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv("aes-256-gcm", active.key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { keyId: active.id, ciphertext: Buffer.concat([iv, body, cipher.getAuthTag()]) };
    },
    decrypt(keyId, ciphertext, context) {
      const key = byId.get(keyId);
      if (!key) throw new Error(`no secret key with id ${keyId} is configured`);
      const iv = ciphertext.subarray(0, ivBytes);
      const tag = ciphertext.subarray(ciphertext.length - tagBytes);
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext.subarray(ivBytes, -tagBytes)), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

/** `id1:base64key,id2:base64key` (RUNNERPLANE_SECRET_KEYS); the first key encrypts. */
export function parseSecretKeys(value: string): SecretKey[] {
  const keys = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((entry) => {
      const at = entry.indexOf(":");
      const id = entry.slice(0, at);
      const key = Buffer.from(entry.slice(at + 1), "base64");
      if (at < 1 || !/^[A-Za-z0-9_.-]{1,64}$/.test(id) || key.length !== 32) {
        throw new Error("each secret key must be <id>:<32 bytes in base64>, ids of letters, digits, _ . -");
      }
      return { id, key };
    });
  if (keys.length === 0) throw new Error("no secret key given; expected <id>:<32 bytes in base64>[,<id>:<key>…]");
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error("secret key ids must be unique");
  return keys;
}

/** A new key in the format of parseSecretKeys. */
export function generateSecretKey(id: string): string {
  return `${id}:${randomBytes(32).toString("base64")}`;
}
