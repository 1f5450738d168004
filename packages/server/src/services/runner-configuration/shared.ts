import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { authorizeRunner, type Caller } from "../../auth/index.js";
import type { Clock } from "../../clock.js";
import type { KeyRing } from "../../crypto/index.js";
import type { Sql } from "../../db/index.js";
import type { Logger } from "../../logging/index.js";
import type { PageTokens } from "../../pagination/index.js";
import type { Relay, RunnerNotifier } from "../../relay/index.js";

export interface RunnerConfigurationServiceDeps {
  sql: Sql;
  clock: Clock;
  pageTokens: () => Promise<PageTokens>;
  keyRing: KeyRing;
  publicUrl: string;
  /** Tells runners about changes to their integrations and tokens. */
  notifier: RunnerNotifier;
  /** Asks connected runners to validate configuration. */
  relay: Relay;
  log: Logger;
}

/** The implementations of the named RunnerConfigurationService methods. */
export type RunnerConfigurationMethods<K extends keyof ServiceImpl<typeof RunnerConfigurationService>> = Pick<
  ServiceImpl<typeof RunnerConfigurationService>,
  K
>;

/** Authorization on the runner a resource belongs to; a resource on an invisible runner is itself not found. */
export const authorizeVia = async (
  sql: Sql,
  caller: Caller,
  runnerId: string,
  need: "user" | "admin",
  notFound: ConnectError,
) => {
  try {
    return await authorizeRunner(sql, caller, runnerId, { need, runnerItself: need === "user" });
  } catch (error) {
    throw ConnectError.from(error).code === Code.NotFound ? notFound : error;
  }
};
