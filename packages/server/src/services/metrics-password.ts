/**
 * The runner metrics password (spec.configuration.metrics.password) at rest: encrypted with
 * the key ring that encrypts host tokens (crypto/secret-box.ts), bound to the runner's id,
 * so a ciphertext copied to another runner does not decrypt (behaviour.md §10,
 * docs/runners.md). Who reads it back is auth's readsRunnerSecrets().
 */
import type { KeyRing } from "../crypto/index.js";
import type { Db } from "../db/index.js";
import {
  type DbRunner,
  encryptPlaintextMetricsPassword,
  plaintextMetricsPasswords,
  type RunnerSettings,
} from "../db/runners.js";
import type { Logger } from "../logging/index.js";

/** Associated data binding a metrics password's ciphertext to its runner and column. */
export const metricsPasswordContext = (runnerId: string) => `runner:${runnerId.toLowerCase()}:metrics_password`;

/** The columns that store `password` for the runner; "" stores no password. */
export function sealMetricsPassword(
  keyRing: KeyRing,
  runnerId: string,
  password: string,
): Required<Pick<RunnerSettings, "metrics_password_ciphertext" | "metrics_password_key_id">> {
  if (password === "") return { metrics_password_ciphertext: null, metrics_password_key_id: null };
  const sealed = keyRing.encrypt(password, metricsPasswordContext(runnerId));
  return { metrics_password_ciphertext: sealed.ciphertext, metrics_password_key_id: sealed.keyId };
}

/** The stored password, or "" when there is none. Throws if the ciphertext was altered or moved. */
export function openMetricsPassword(
  keyRing: KeyRing,
  row: Pick<DbRunner, "id" | "metrics_password_ciphertext" | "metrics_password_key_id">,
): string {
  if (!row.metrics_password_ciphertext || !row.metrics_password_key_id) return "";
  return keyRing.decrypt(row.metrics_password_key_id, row.metrics_password_ciphertext, metricsPasswordContext(row.id));
}

const batchSize = 100;

/**
 * Start-up step, run right after the migrations: encrypts every metrics password still
 * stored in plaintext (before migration 0005, or by an older replica during a rolling
 * upgrade) and empties the plaintext column. SQL cannot do this (it has no access to the
 * key), hence code. Idempotent, and safe for replicas starting at once: each row is
 * replaced only if it still holds the plaintext that was encrypted. Returns how many rows
 * this call encrypted; logs the count, never a value.
 */
export async function encryptPlaintextMetricsPasswords(sql: Db, keyRing: KeyRing, log: Logger): Promise<number> {
  let encrypted = 0;
  let afterId: string | undefined;
  for (;;) {
    const rows = await plaintextMetricsPasswords(sql, afterId, batchSize);
    for (const row of rows) {
      const sealed = keyRing.encrypt(row.metrics_password, metricsPasswordContext(row.id));
      if (await encryptPlaintextMetricsPassword(sql, row.id, row.metrics_password, sealed)) encrypted++;
    }
    if (rows.length < batchSize) break;
    afterId = rows[rows.length - 1]?.id;
  }
  if (encrypted > 0) log.info("encrypted plaintext runner metrics passwords", { runners: encrypted });
  return encrypted;
}
