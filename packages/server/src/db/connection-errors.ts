/**
 * What postgres.js errors say about the connection, in one place: the query guard, the
 * health monitor and the error mapping read the same list.
 */

// postgres.js's own codes, Node's socket errors, and the errors the query guard raises.
const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "DATABASE_UNAVAILABLE",
]);

/**
 * True for an error that means the database could not be reached or the connection was
 * lost: connection exceptions (SQLSTATE class 08), admin/crash shutdown and "cannot
 * connect now" (57P01–57P03), too many connections (53300), and socket-level failures.
 * SQLSTATE reference: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code !== undefined &&
    (connectionCodes.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code) || code === "53300")
  );
}

/**
 * Postgres refused a statement for the data it carried: a data exception (SQLSTATE class
 * 22, e.g. a NUL character, a malformed UUID) or an integrity violation (class 23, e.g. a
 * row that refers to one deleted meanwhile). A batched statement that fails so is one
 * call's doing, and is run again call by call (db/batcher.ts, `isolates`).
 */
export function refusedForItsData(error: unknown): boolean {
  return /^2[23]/.test(errorCode(error) ?? "");
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The database is known to be down: the statement was not sent. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  readonly code = "DATABASE_UNAVAILABLE";
  constructor() {
    super("the database is unavailable");
  }
}

/** The statement's request was already answered: the statement was not sent. */
export class RequestEndedError extends Error {
  override name = "RequestEndedError";
  readonly code = "REQUEST_ENDED";
  constructor() {
    super("the request this statement belongs to has ended");
  }
}
