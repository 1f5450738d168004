/**
 * @runnerplane/client — a typed client for the gitpod.v1 runner management API.
 *
 *   const client = createRunnerplaneClient({ baseUrl, token });
 *   for await (const runner of client.iterate.runners()) console.log(runner.name);
 *
 * Messages, enums and service descriptors are exported from the subpaths
 * `@runnerplane/client/gitpod/v1/runner_pb`, `…/runner_configuration_pb`, `…/identity_pb`,
 * `…/user_pb`, `…/organization_pb`, `…/group_pb`, `…/service_account_pb`, `…/event_pb`, …;
 * the validation error detail from `@runnerplane/client/runnerplane/validate/v1/validate_pb`
 * (and, for convenience, from here).
 */
export { Code, ConnectError } from "@connectrpc/connect";
export type { RunnerplaneClient } from "./client.js";
export { createRunnerplaneClient, createRunnerplaneTransport, headersInterceptor } from "./client.js";
export type { FieldViolation } from "./errors.js";
export { errorCode, fieldViolations, parseContextPreconditionDetails } from "./errors.js";
export type { Violation, Violations } from "./gen/runnerplane/validate/v1/validate_pb.js";
export { ViolationSchema, ViolationsSchema } from "./gen/runnerplane/validate/v1/validate_pb.js";
export type { Protocol, RetryOptions, RunnerplaneClientOptions } from "./options.js";
export { listAll } from "./pagination.js";
export { retryInterceptor } from "./retry.js";
export { version } from "./version.js";
