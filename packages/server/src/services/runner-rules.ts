/**
 * The rules of behaviour.md §4 that need no database, as pure functions so they are
 * tested one by one. Each throws `invalid_argument` naming the field.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerPhase } from "@runnerplane/api/gitpod/v1/runner_pb";
import type { DbRunnerKind, DbRunnerProvider } from "../db/runners.js";

export type { DbRunnerKind, DbRunnerProvider };

export const kindToDb: Record<Exclude<RunnerKind, RunnerKind.UNSPECIFIED>, DbRunnerKind> = {
  [RunnerKind.LOCAL]: "local",
  [RunnerKind.REMOTE]: "remote",
  [RunnerKind.LOCAL_CONFIGURATION]: "local_configuration",
};
export const kindFromDb: Record<DbRunnerKind, RunnerKind> = {
  local: RunnerKind.LOCAL,
  remote: RunnerKind.REMOTE,
  local_configuration: RunnerKind.LOCAL_CONFIGURATION,
};
export const providerToDb: Record<Exclude<RunnerProvider, RunnerProvider.UNSPECIFIED>, DbRunnerProvider> = {
  [RunnerProvider.AWS_EC2]: "aws_ec2",
  [RunnerProvider.LINUX_HOST]: "linux_host",
  [RunnerProvider.DESKTOP_MAC]: "desktop_mac",
  [RunnerProvider.MANAGED]: "managed",
  [RunnerProvider.GCP]: "gcp",
  [RunnerProvider.DEV_AGENT]: "dev_agent",
};
export const providerFromDb: Record<DbRunnerProvider, RunnerProvider> = {
  aws_ec2: RunnerProvider.AWS_EC2,
  linux_host: RunnerProvider.LINUX_HOST,
  desktop_mac: RunnerProvider.DESKTOP_MAC,
  managed: RunnerProvider.MANAGED,
  gcp: RunnerProvider.GCP,
  dev_agent: RunnerProvider.DEV_AGENT,
};

/** AWS_EC2, GCP, MANAGED → REMOTE; LINUX_HOST, DESKTOP_MAC, DEV_AGENT → LOCAL. */
export function kindOfProvider(provider: Exclude<RunnerProvider, RunnerProvider.UNSPECIFIED>): DbRunnerKind {
  switch (provider) {
    case RunnerProvider.AWS_EC2:
    case RunnerProvider.GCP:
    case RunnerProvider.MANAGED:
      return "remote";
    case RunnerProvider.LINUX_HOST:
    case RunnerProvider.DESKTOP_MAC:
    case RunnerProvider.DEV_AGENT:
      return "local";
  }
}

/** Exactly one of kind and provider; the kind follows from the provider; manager id only for MANAGED. */
export function resolveKindAndProvider(
  kind: RunnerKind,
  provider: RunnerProvider,
  runnerManagerId: string,
): { kind: DbRunnerKind; provider: DbRunnerProvider | null } {
  const hasKind = kind !== RunnerKind.UNSPECIFIED;
  const hasProvider = provider !== RunnerProvider.UNSPECIFIED;
  if (hasKind === hasProvider) {
    throw invalid(
      hasKind
        ? "kind and provider: set only provider (the kind is deduced from it)"
        : "kind and provider: set exactly one of them (provider is preferred)",
    );
  }
  if (provider === RunnerProvider.MANAGED) {
    if (runnerManagerId === "") throw invalid("runner_manager_id: required for provider RUNNER_PROVIDER_MANAGED");
  } else if (runnerManagerId !== "") {
    throw invalid("runner_manager_id: only runners of provider RUNNER_PROVIDER_MANAGED have a runner manager");
  }
  if (hasProvider) return { kind: kindOfProvider(provider), provider: providerToDb[provider] };
  return { kind: kindToDb[kind as keyof typeof kindToDb], provider: null };
}

/** Desired phase at creation: ACTIVE (default) or INACTIVE. */
export function initialDesiredPhase(phase: RunnerPhase | undefined): RunnerPhase {
  if (phase === undefined || phase === RunnerPhase.UNSPECIFIED) return RunnerPhase.ACTIVE;
  if (phase === RunnerPhase.ACTIVE || phase === RunnerPhase.INACTIVE) return phase;
  throw invalid(
    "spec.desired_phase: a new runner's desired phase must be RUNNER_PHASE_ACTIVE or RUNNER_PHASE_INACTIVE",
  );
}

/**
 * An update window: `start_hour` 0–23 required; `end_hour` 0–23, default start + 2 (mod 24);
 * at least 2 hours long counting across midnight, so 22→4 is fine and 5→5 or 5→6 are not.
 */
export function resolveUpdateWindow(
  path: string,
  window: { startHour?: number | undefined; endHour?: number | undefined },
): { start: number; end: number } {
  if (window.startHour === undefined) throw invalid(`${path}.start_hour: required when an update window is given`);
  const start = window.startHour;
  if (start > 23) throw invalid(`${path}.start_hour: must be an hour from 0 to 23`);
  const end = window.endHour ?? (start + 2) % 24;
  if (end > 23) throw invalid(`${path}.end_hour: must be an hour from 0 to 23`);
  if ((end - start + 24) % 24 < 2) {
    throw invalid(`${path}: the window must span at least 2 hours (from ${start} to ${end} it does not)`);
  }
  return { start, end };
}

/** A change of desired phase: only on LOCAL_CONFIGURATION runners, only to ACTIVE or INACTIVE. */
export function checkDesiredPhaseChange(kind: DbRunnerKind, phase: RunnerPhase): void {
  if (kind !== "local_configuration") {
    throw new ConnectError(
      "spec.desired_phase: only LOCAL_CONFIGURATION runners can be switched between active and inactive",
      Code.FailedPrecondition,
    );
  }
  if (phase !== RunnerPhase.ACTIVE && phase !== RunnerPhase.INACTIVE) {
    throw new ConnectError(
      "spec.desired_phase: can only be set to RUNNER_PHASE_ACTIVE or RUNNER_PHASE_INACTIVE",
      Code.FailedPrecondition,
    );
  }
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
