/**
 * toRunner writes the Runner message out by hand (no `create`, for speed). These tests hold
 * it to what protobuf-es's `create(RunnerSchema, …)` makes from the same row — the mapping
 * as it was before — compared as objects, as binary and as the server's JSON.
 */
import { create, fromJson, type JsonValue, toBinary, toJsonString } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { GatewayInfoSchema, type Runner, RunnerSchema } from "@runnerplane/api/gitpod/v1/runner_pb";
import { describe, expect, it } from "vitest";
import type { DbRunner } from "../db/runners.js";
import { livePhase } from "./liveness.js";
import { toRunner } from "./runner-mapper.js";
import { kindFromDb, providerFromDb } from "./runner-rules.js";

/** The reflective mapping toRunner replaced, kept as the reference. */
function referenceRunner(row: DbRunner, now: Date, secrets: { metricsPassword: string }): Runner {
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

const now = new Date("2026-12-01T12:00:00.123Z");

/** Every column set to something other than its zero value. */
const everyField: DbRunner = {
  id: "0d6e1a52-7a38-4c1b-9d2f-6b1c1f0e9a01",
  organization_id: "5b1d3c9e-2f4a-4e8b-a1c7-3d2e1f0a9b8c",
  name: "build runner",
  kind: "remote",
  provider: "aws_ec2",
  creator_id: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
  creator_principal: "service_account",
  runner_manager_id: "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
  created_at: new Date("2026-11-30T08:15:30.001Z"),
  updated_at: new Date("2026-12-01T11:59:00.999Z"),
  desired_phase: 3,
  variant: 2,
  region: "eu-central-1",
  release_channel: 2,
  auto_update: true,
  log_level: 4,
  devcontainer_image_cache_enabled: true,
  update_window_start: 2,
  update_window_end: 5,
  encrypted_honeycomb_api_key: Buffer.from([1, 2, 3, 250, 251, 252]),
  continuous_profiling: true,
  metrics_enabled: true,
  metrics_url: "https://metrics.example.com/push",
  metrics_username: "runner",
  metrics_password_ciphertext: Buffer.from([9, 9, 9]),
  metrics_password_key_id: "k1",
  metrics_managed: true,
  metrics_verbose: true,
  phase: 3,
  status_updated_at: new Date("2026-12-01T11:59:50.5Z"),
  version: "2026.12.1",
  system_details: "linux/amd64",
  log_url: "https://logs.example.com/r1",
  status_message: "disk almost full",
  status_region: "eu-central-1a",
  additional_info: [
    { key: "zone", value: "a" },
    { key: "pool", value: "spot" },
  ],
  capabilities: [1, 2, 4],
  gateway_info: {
    gateway: { name: "eu-1", url: "https://gw.example.com", region: "eu" },
    latency: "0.012s",
  },
  llm_url: "https://llm.example.com",
  support_bundle_url: "https://support.example.com/bundle",
  public_key: Buffer.alloc(32, 7),
  signed_up_at: new Date("2026-11-30T08:16:00Z"),
  deleting_since: null,
};

/** Every nullable column null, every other at its zero value. */
const noField: DbRunner = {
  ...everyField,
  name: "",
  kind: "local",
  provider: null,
  creator_principal: "user",
  runner_manager_id: null,
  desired_phase: 0,
  variant: 0,
  region: "",
  release_channel: 0,
  auto_update: false,
  log_level: 0,
  devcontainer_image_cache_enabled: false,
  update_window_start: null,
  update_window_end: null,
  encrypted_honeycomb_api_key: null,
  continuous_profiling: false,
  metrics_enabled: false,
  metrics_url: "",
  metrics_username: "",
  metrics_password_ciphertext: null,
  metrics_password_key_id: null,
  metrics_managed: false,
  metrics_verbose: false,
  phase: 1,
  status_updated_at: null,
  version: "",
  system_details: "",
  log_url: "",
  status_message: "",
  status_region: "",
  additional_info: [],
  capabilities: [],
  gateway_info: null,
  llm_url: "",
  support_bundle_url: "",
  public_key: null,
  signed_up_at: null,
};

/** The server's JSON options (server.ts). */
const jsonOptions = { alwaysEmitImplicit: true };

describe("toRunner", () => {
  for (const [name, row, password] of [
    ["every field set", everyField, "s3cret"],
    ["no field set", noField, ""],
    ["a runner being deleted", { ...everyField, deleting_since: new Date("2026-12-01T11:00:00Z") }, ""],
  ] as const) {
    it(`makes what create(RunnerSchema, …) makes, for a runner with ${name}`, () => {
      const fast = toRunner(row, now, { metricsPassword: password });
      const reference = referenceRunner(row, now, { metricsPassword: password });
      expect(fast).toStrictEqual(reference);
      expect(toBinary(RunnerSchema, fast)).toEqual(toBinary(RunnerSchema, reference));
      expect(toJsonString(RunnerSchema, fast, jsonOptions)).toBe(toJsonString(RunnerSchema, reference, jsonOptions));
    });
  }

  it("sets every field of the message when the row has every column set", () => {
    // Guards the fixture: a field left at zero here would hide a field toRunner forgot.
    const json = toJsonString(RunnerSchema, toRunner(everyField, now, { metricsPassword: "s3cret" }));
    const reference = JSON.parse(
      toJsonString(RunnerSchema, referenceRunner(everyField, now, { metricsPassword: "" }), jsonOptions),
    );
    const leaves = (value: unknown, path: string): string[] =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, `${path}.${k}`))
        : [path];
    const parsed = JSON.parse(json) as JsonValue;
    // Without alwaysEmitImplicit only set fields appear: every leaf of the full message must be among them.
    expect(leaves(parsed, "").sort()).toEqual(leaves(reference, "").sort());
  });

  it("copies bytes columns rather than sharing the row's buffers", () => {
    const runner = toRunner(everyField, now, { metricsPassword: "" });
    expect(runner.status?.publicKey).not.toBe(everyField.public_key);
    expect(runner.status?.publicKey).toBeInstanceOf(Uint8Array);
  });
});
