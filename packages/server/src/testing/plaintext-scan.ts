import { expect } from "vitest";

/**
 * Asserts that no column of any row holds any of the secrets, in any form it could be
 * stored in: as text, bytes (latin1/utf8), base64 or hex.
 */
export function expectNoPlaintext(rows: readonly Record<string, unknown>[], secrets: readonly string[]): void {
  for (const row of rows) {
    for (const value of Object.values(row)) {
      for (const text of renderings(value)) {
        for (const secret of secrets) {
          expect(text).not.toContain(secret);
          expect(text).not.toContain(Buffer.from(secret).toString("base64"));
          expect(text).not.toContain(Buffer.from(secret).toString("hex"));
        }
      }
    }
  }
}

function renderings(value: unknown): string[] {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    return [bytes.toString("latin1"), bytes.toString("utf8"), bytes.toString("base64"), bytes.toString("hex")];
  }
  if (value instanceof Date) return [value.toISOString()];
  return [String(value), JSON.stringify(value) ?? ""];
}
