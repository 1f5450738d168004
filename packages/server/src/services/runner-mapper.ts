/** Database rows of runners and policies → gitpod.v1 messages, in one place. */
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  GatewayInfoSchema,
  type Runner,
  RunnerPolicySchema,
  RunnerRole,
  RunnerSchema,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import type { DbRunnerPolicy } from "../db/runner-policies.js";
import type { DbRunner } from "../db/runners.js";
import { livePhase } from "./liveness.js";
import { kindFromDb, providerFromDb } from "./runner-rules.js";

/**
 * `now` decides the live phase (services/liveness.ts). The row holds secrets only as
 * ciphertexts; `secrets` are the plaintexts the caller may read ("" for the others), decided
 * by the service with auth's readsRunnerSecrets().
 */
export function toRunner(row: DbRunner, now: Date, secrets: { metricsPassword: string }): Runner {
  return create(RunnerSchema, {
    runnerId: row.id,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    name: row.name,
    kind: kindFromDb[row.kind],
    provider: row.provider ? providerFromDb[row.provider] : RunnerProvider.UNSPECIFIED,
    runnerManagerId: row.runner_manager_id ?? "",
    creator: {
      id: row.creator_id,
      principal: row.creator_principal === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER,
    },
    spec: {
      desiredPhase: row.desired_phase,
      variant: row.variant,
      configuration: {
        region: row.region,
        releaseChannel: row.release_channel,
        autoUpdate: row.auto_update,
        logLevel: row.log_level,
        devcontainerImageCacheEnabled: row.devcontainer_image_cache_enabled,
        continuousProfiling: row.continuous_profiling,
        ...(row.encrypted_honeycomb_api_key
          ? { encryptedHoneycombApiKey: new Uint8Array(row.encrypted_honeycomb_api_key) }
          : {}),
        ...(row.update_window_start !== null && row.update_window_end !== null
          ? { updateWindow: { startHour: row.update_window_start, endHour: row.update_window_end } }
          : {}),
        metrics: {
          enabled: row.metrics_enabled,
          url: row.metrics_url,
          username: row.metrics_username,
          password: secrets.metricsPassword,
          managedMetricsEnabled: row.metrics_managed,
          includeVerboseMetrics: row.metrics_verbose,
        },
      },
    },
    status: {
      phase: livePhase(row, now),
      ...(row.status_updated_at ? { updatedAt: timestampFromDate(row.status_updated_at) } : {}),
      version: row.version,
      systemDetails: row.system_details,
      logUrl: row.log_url,
      message: row.status_message,
      region: row.status_region,
      additionalInfo: row.additional_info,
      capabilities: row.capabilities,
      ...(row.gateway_info ? { gatewayInfo: fromJson(GatewayInfoSchema, row.gateway_info as JsonValue) } : {}),
      llmUrl: row.llm_url,
      supportBundleUrl: row.support_bundle_url,
      ...(row.public_key ? { publicKey: new Uint8Array(row.public_key) } : {}),
    },
  });
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
