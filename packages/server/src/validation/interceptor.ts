import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { type Violation, validateFields, validateMessage } from "./validate.js";

/**
 * Rejects every request message that breaks a field rule with `invalid_argument`,
 * before the method runs. The message names each field and rule; the same list is
 * attached as a `runnerplane.validate.v1.Violations` detail.
 */
export function createValidationInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) {
      assertValid(req.method.input, req.message);
      return next(req);
    }
    const input = req.message;
    const method = req.method;
    return next({
      ...req,
      message: (async function* () {
        for await (const message of input) {
          assertValid(method.input, message);
          yield message;
        }
      })(),
    });
  };
}

/** Throws `invalid_argument` with every violation of `message` (also the lean WatchRequests path's check). */
export function assertValid(desc: Parameters<typeof validateMessage>[0], message: object): void {
  const violations = validateMessage(desc, message);
  if (violations.length > 0) throw validationError(violations);
}

/**
 * For methods of messages whose validation is disabled: enforces the declared rules of the
 * named fields only, with the same error the interceptor would raise.
 */
export function assertValidFields(
  desc: Parameters<typeof validateFields>[0],
  message: object,
  names: readonly string[],
): void {
  const violations = validateFields(desc, message, names);
  if (violations.length > 0) throw validationError(violations);
}

export function validationError(violations: Violation[]): ConnectError {
  const text = violations.map((v) => `${v.field}: ${v.message}`).join("; ");
  return new ConnectError(text, Code.InvalidArgument, undefined, [
    { desc: ViolationsSchema, value: create(ViolationsSchema, { violations }) },
  ]);
}
