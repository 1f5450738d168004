/**
 * @runnerplane/client — a typed client for the gitpod.v1 runner management API.
 *
 *   const client = createRunnerplaneClient({ baseUrl, token });
 *   for await (const runner of client.iterate.runners()) console.log(runner.name);
 *
 * Messages, enums and service descriptors are exported from the subpaths
 * `@runnerplane/client/gitpod/v1/runner_pb`, `…/runner_configuration_pb`, `…/identity_pb`.
 */
export { Code, ConnectError } from "@connectrpc/connect";
export type { RunnerplaneClient } from "./client.js";
export { createRunnerplaneClient, headersInterceptor } from "./client.js";
export { errorCode, parseContextPreconditionDetails } from "./errors.js";
export type { Protocol, RetryOptions, RunnerplaneClientOptions } from "./options.js";
export { listAll } from "./pagination.js";
export { retryInterceptor } from "./retry.js";
export { version } from "./version.js";
