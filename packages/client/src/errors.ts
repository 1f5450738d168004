import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ParseContextURLPreconditionFailureDetails,
  ParseContextURLPreconditionFailureDetailsSchema,
} from "./gen/gitpod/v1/runner_pb.js";

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
