/**
 * The one place where failures become Connect errors.
 *
 * Services throw ConnectError themselves for the outcomes they decide (not_found,
 * permission_denied, …). Everything else that escapes a handler lands here: database
 * errors are translated by what they mean for the caller, and anything unrecognised
 * becomes a generic `internal` error whose details stay in the server log.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { errorCode, isConnectionError, RequestEndedError } from "../db/connection-errors.js";
import type { RequestScope } from "../db/request-scope.js";

/** Codes for which retrying the same request cannot help (behaviour.md §1). */
export const nonRetryableCodes: ReadonlySet<Code> = new Set([
  Code.AlreadyExists,
  Code.Aborted,
  Code.FailedPrecondition,
  Code.Unimplemented,
  Code.Internal,
  Code.InvalidArgument,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.NotFound,
]);

/**
 * Translates a database error, or returns undefined when `error` is not one. `scope` is
 * the request's (db/request-scope.ts): when a statement that could commit lost its
 * connection after it was sent, the outcome is not known, and the caller is told so.
 * SQLSTATE reference: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function connectErrorFromDatabase(error: unknown, scope?: RequestScope): ConnectError | undefined {
  if (error instanceof RequestEndedError) return new ConnectError("the request has ended", Code.Canceled);
  if (isConnectionError(error)) {
    if (scope?.outcomeUnknown) {
      return new ConnectError(
        "the connection to the database was lost while the change was being saved; it may or may not have been applied, so check before retrying",
        Code.Unknown,
      );
    }
    // Metadata reaches the caller on every protocol (headers, or gRPC trailers).
    return new ConnectError("the database is unavailable; try again shortly", Code.Unavailable, {
      "retry-after": "1",
    });
  }
  const code = errorCode(error);
  if (code === "23505") return new ConnectError("the resource already exists", Code.AlreadyExists);
  if (code === "23503") return new ConnectError("a referenced resource does not exist", Code.NotFound);
  if (code === "40001" || code === "40P01") {
    return new ConnectError("the request conflicted with a concurrent change; retry it", Code.Aborted);
  }
  if (code === "57014") return new ConnectError("the database query was cancelled", Code.DeadlineExceeded);
  return undefined;
}

/** `write`'s value; a unique violation (23505) it raises becomes `already_exists` saying `message`. */
export async function alreadyExistsOnUniqueViolation<T>(write: Promise<T>, message: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (errorCode(error) === "23505") throw new ConnectError(message, Code.AlreadyExists);
    throw error;
  }
}

/**
 * What a caller sees for any thrown value: ConnectErrors pass through, database errors
 * are translated, and the rest becomes an opaque `internal` error mentioning the
 * request id (the log line with that id has the details).
 */
export function toPublicError(
  error: unknown,
  requestId: string,
  scope?: RequestScope,
): { error: ConnectError; unexpected: boolean } {
  if (error instanceof ConnectError) return { error, unexpected: false };
  const mapped = connectErrorFromDatabase(error, scope);
  if (mapped) return { error: mapped, unexpected: false };
  return {
    error: new ConnectError(`internal error (request id ${requestId})`, Code.Internal),
    unexpected: true,
  };
}
