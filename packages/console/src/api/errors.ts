/**
 * Every error the console shows goes through here: the server's own message (`rawMessage`,
 * without the code prefix `message` carries), its code, and the field violations of an
 * `invalid_argument`, keyed by field path so forms can show them beside their controls.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { fieldViolations } from "@runnerplane/client";

export interface ConsoleError {
  code: Code;
  /** e.g. "permission_denied" — as the API names it. */
  codeName: string;
  message: string;
  /** Field path → message, from the `runnerplane.validate.v1.Violations` detail. */
  fields: Record<string, string>;
}

export function describeError(error: unknown): ConsoleError {
  const ce = ConnectError.from(error);
  const fields: Record<string, string> = {};
  for (const v of fieldViolations(ce)) {
    fields[toCamelPath(v.field)] ??= v.message;
  }
  return { code: ce.code, codeName: codeName(ce.code), message: ce.rawMessage, fields };
}

/**
 * A form's view of its submit error: the messages to show beside its controls, and whether
 * the error needs a notice of its own (it has none for any field). Nothing for no error.
 */
export function formErrors(error: unknown): { fields: Record<string, string>; notice: boolean } {
  if (!error) return { fields: {}, notice: false };
  const { fields } = describeError(error);
  return { fields, notice: Object.keys(fields).length === 0 };
}

/** `environment_class.display_name` → `environmentClass.displayName`, the names forms use. */
export function toCamelPath(path: string): string {
  return path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Codes retrying cannot fix: the same request gets the same answer. */
const final = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.FailedPrecondition,
  Code.Unimplemented,
  Code.Aborted,
  Code.OutOfRange,
  Code.Internal,
]);

export function isRetryable(error: unknown): boolean {
  return !final.has(ConnectError.from(error).code);
}
