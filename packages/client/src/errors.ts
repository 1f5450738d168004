import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ParseContextURLPreconditionFailureDetails,
  ParseContextURLPreconditionFailureDetailsSchema,
} from "./gen/gitpod/v1/runner_pb.js";
import { ViolationsSchema } from "./gen/runnerplane/validate/v1/validate_pb.js";

/** One broken field rule of an `invalid_argument` answer. */
export interface FieldViolation {
  /** Path of the field in proto names: `runner_id`, `filter.creator_ids[0]`, `spec.configuration.update_window.start_hour`. */
  field: string;
  /** The rule: `string.uuid`, `string.min_len`, `int32.lte`, `repeated.max_items`, `enum.defined_only`, `required`, … */
  rule: string;
  /** What is wrong, for people: "value must be a valid UUID". */
  message: string;
}

/** The Connect code of any thrown value (`Code.Unknown` for non-Connect errors). Branch on it, not on messages. */
export function errorCode(error: unknown): Code {
  return ConnectError.from(error).code;
}

/**
 * The details of a ParseContextURL `failed_precondition` (the user must authenticate with
 * the SCM first): where to authenticate, and which SCM. Undefined for any other error.
 */
export function parseContextPreconditionDetails(error: unknown): ParseContextURLPreconditionFailureDetails | undefined {
  const e = ConnectError.from(error);
  if (e.code !== Code.FailedPrecondition) return undefined;
  return e.findDetails(ParseContextURLPreconditionFailureDetailsSchema)[0];
}

/**
 * The broken field rules of an `invalid_argument` answer, from its
 * `runnerplane.validate.v1.Violations` detail, as plain objects: one per field and rule, in
 * the server's order. Empty for any other error (or a non-Connect value).
 */
export function fieldViolations(error: unknown): FieldViolation[] {
  return ConnectError.from(error)
    .findDetails(ViolationsSchema)
    .flatMap((detail) => detail.violations.map(({ field, rule, message }) => ({ field, rule, message })));
}
