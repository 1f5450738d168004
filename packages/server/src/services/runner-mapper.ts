/** Database rows of runners and policies → gitpod.v1 messages, in one place. */
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  GatewayInfoSchema,
  type Runner,
  type RunnerConfiguration,
  RunnerPolicySchema,
  RunnerRole,
  type RunnerStatus,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import type { DbRunnerPolicy } from "../db/runner-policies.js";
import type { DbRunner } from "../db/runners.js";
import { livePhase } from "./liveness.js";
import { kindFromDb, providerFromDb } from "./runner-rules.js";

/**
 * `now` decides the live phase (services/liveness.ts). The row holds secrets only as
 * ciphertexts; `secrets` are the plaintexts the caller may read ("" for the others), decided
 * by the service with auth's readsRunnerSecrets().
 *
 * The message is written out as the object protobuf-es's `create(RunnerSchema, …)` would
 * make (`$typeName` on each message, every implicit field at its value or zero, absent
 * optional messages left out) instead of being built by `create`, which walks the schema
 * of the message and of each nested one: a fifth of a page's mapping and JSON serialisation
 * (docs/performance.md, change log, issue 23 session 3). The types make every scalar and
 * list field required; runner-mapper.test.ts compares the result with `create`'s for a
 * runner with every field set, one with none and one being deleted.
 */
export function toRunner(row: DbRunner, now: Date, secrets: { metricsPassword: string }): Runner {
  const configuration: RunnerConfiguration = {
    $typeName: "gitpod.v1.RunnerConfiguration",
    region: row.region,
    releaseChannel: row.release_channel,
    autoUpdate: row.auto_update,
    metrics: {
      $typeName: "gitpod.v1.MetricsConfiguration",
      enabled: row.metrics_enabled,
      url: row.metrics_url,
      username: row.metrics_username,
      password: secrets.metricsPassword,
      managedMetricsEnabled: row.metrics_managed,
      includeVerboseMetrics: row.metrics_verbose,
    },
    logLevel: row.log_level,
    devcontainerImageCacheEnabled: row.devcontainer_image_cache_enabled,
    encryptedHoneycombApiKey: bytesOf(row.encrypted_honeycomb_api_key),
    continuousProfiling: row.continuous_profiling,
  };
  if (row.update_window_start !== null && row.update_window_end !== null) {
    configuration.updateWindow = {
      $typeName: "gitpod.v1.UpdateWindow",
      startHour: row.update_window_start,
      endHour: row.update_window_end,
    };
  }
  const status: RunnerStatus = {
    $typeName: "gitpod.v1.RunnerStatus",
    version: row.version,
    systemDetails: row.system_details,
    phase: livePhase(row, now),
    logUrl: row.log_url,
    message: row.status_message,
    region: row.status_region,
    additionalInfo: row.additional_info.map(({ key, value }) => ({ $typeName: "gitpod.v1.FieldValue", key, value })),
    capabilities: row.capabilities,
    llmUrl: row.llm_url,
    publicKey: bytesOf(row.public_key),
    supportBundleUrl: row.support_bundle_url,
  };
  if (row.status_updated_at) status.updatedAt = timestampFromDate(row.status_updated_at);
  if (row.gateway_info) status.gatewayInfo = fromJson(GatewayInfoSchema, row.gateway_info as JsonValue);
  return {
    $typeName: "gitpod.v1.Runner",
    runnerId: row.id,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    name: row.name,
    spec: {
      $typeName: "gitpod.v1.RunnerSpec",
      desiredPhase: row.desired_phase,
      configuration,
      variant: row.variant,
    },
    status,
    creator: {
      $typeName: "gitpod.v1.Subject",
      id: row.creator_id,
      principal: row.creator_principal === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER,
    },
    kind: kindFromDb[row.kind],
    provider: row.provider ? providerFromDb[row.provider] : RunnerProvider.UNSPECIFIED,
    runnerManagerId: row.runner_manager_id ?? "",
  };
}

/** A bytes field's value: a copy of the column, or empty when it is null (as `create` makes them). */
function bytesOf(column: Buffer | null): Uint8Array {
  return column ? new Uint8Array(column) : new Uint8Array(0);
}

export const roleToDb: Partial<Record<RunnerRole, DbRunnerPolicy["role"]>> = {
  [RunnerRole.ADMIN]: "admin",
  [RunnerRole.USER]: "user",
};

export function toPolicy(row: DbRunnerPolicy) {
  return create(RunnerPolicySchema, {
    groupId: row.group_id,
    role: row.role === "admin" ? RunnerRole.ADMIN : RunnerRole.USER,
  });
}
