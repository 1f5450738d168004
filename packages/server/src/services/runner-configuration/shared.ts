import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { authorizeRunner, type Caller } from "../../auth/index.js";
import type { Clock } from "../../clock.js";
import { type KeyRing, sealForRunner } from "../../crypto/index.js";
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

/**
 * `secret` sealed for the runner's public key; `noun` names it in the `failed_precondition`
 * a runner that has not signed up with a key yet gets.
 */
export async function sealRunnerSecret(publicKey: Buffer | null, secret: string, noun: string): Promise<Buffer> {
  if (!publicKey) {
    throw new ConnectError(
      `the runner has not signed up with a public key yet, so the ${noun} cannot be sealed for it`,
      Code.FailedPrecondition,
    );
  }
  return Buffer.from(await sealForRunner(publicKey, secret));
}
