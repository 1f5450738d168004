import { create } from "@bufbuild/protobuf";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  GetRunnerResponseSchema,
  ListRunnerPoliciesResponseSchema,
  ListRunnersResponseSchema,
  LogLevel,
  RunnerPhase,
  RunnerReleaseChannel,
  RunnerService,
  type UpdateRunnerRequest,
  UpdateRunnerResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "55555555-5555-4555-8555-555555555555";

function routes(kind: RunnerKind, updates: UpdateRunnerRequest[]) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    r.service(RunnerService, {
      getRunner: () =>
        create(GetRunnerResponseSchema, {
          runner: {
            runnerId,
            name: "Config box",
            kind,
            provider: RunnerProvider.LINUX_HOST,
            status: { phase: RunnerPhase.ACTIVE },
            spec: {
              configuration: {
                releaseChannel: RunnerReleaseChannel.STABLE,
                metrics: { enabled: false, url: "", username: "", password: "old-password" },
              },
            },
          },
        }),
      listRunnerPolicies: () => create(ListRunnerPoliciesResponseSchema, {}),
      listRunners: () => create(ListRunnersResponseSchema, {}),
      updateRunner: (req) => {
        updates.push(req);
        return create(UpdateRunnerResponseSchema, {});
      },
    });
  };
}

describe("RunnerSettingsSection", () => {
  it("sends every configuration field UpdateRunner takes, and leaves empty secrets out", async () => {
    const updates: UpdateRunnerRequest[] = [];
    renderApp(`/runners/${runnerId}`, routes(RunnerKind.LOCAL, updates));
    await userEvent.selectOptions(
      await screen.findByLabelText("Release channel", {}, { timeout: 10_000 }),
      String(RunnerReleaseChannel.LATEST),
    );
    await userEvent.selectOptions(screen.getByLabelText("Log level"), String(LogLevel.WARN));
    await userEvent.click(screen.getByLabelText("Update automatically"));
    await userEvent.type(screen.getByLabelText("Update window from (UTC hour)"), "1");
    await userEvent.click(screen.getByLabelText("Collect metrics"));
    await userEvent.type(screen.getByLabelText("Metrics URL"), "https://m.example/write");
    await userEvent.click(screen.getByLabelText("Include verbose metrics"));
    await userEvent.click(screen.getByLabelText("Continuous profiling"));
    await userEvent.click(screen.getByLabelText("Cache dev container images"));
    // The stored password is never put in the form.
    expect((screen.getByLabelText("Metrics password") as HTMLInputElement).value).toBe("");
    // Only the organization's configuration runner can switch phases.
    expect(screen.queryByLabelText("Desired phase")).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    await waitFor(() => expect(updates).toHaveLength(1));
    const c = updates[0]?.spec?.configuration;
    expect(c).toMatchObject({
      releaseChannel: RunnerReleaseChannel.LATEST,
      logLevel: LogLevel.WARN,
      autoUpdate: true,
      continuousProfiling: true,
      devcontainerImageCacheEnabled: true,
      updateWindow: { startHour: 1 },
      metrics: { enabled: true, url: "https://m.example/write", includeVerboseMetrics: true },
    });
    expect(c?.updateWindow?.endHour).toBeUndefined();
    expect(c?.metrics?.password).toBeUndefined();
    expect(c?.honeycombApiKey).toBeUndefined();
    expect(updates[0]?.spec?.desiredPhase).toBeUndefined();
    expect(await screen.findByText("Saved.")).toBeTruthy();
  });

  it("offers the desired phase on the configuration runner and sends it with typed secrets", async () => {
    const updates: UpdateRunnerRequest[] = [];
    renderApp(`/runners/${runnerId}`, routes(RunnerKind.LOCAL_CONFIGURATION, updates));
    await userEvent.selectOptions(
      await screen.findByLabelText("Desired phase", {}, { timeout: 10_000 }),
      String(RunnerPhase.INACTIVE),
    );
    await userEvent.type(screen.getByLabelText("Metrics password"), "pw");
    await userEvent.type(screen.getByLabelText("Honeycomb API key"), "hc");
    await userEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]?.spec?.desiredPhase).toBe(RunnerPhase.INACTIVE);
    expect(updates[0]?.spec?.configuration).toMatchObject({ honeycombApiKey: "hc", metrics: { password: "pw" } });
    expect(updates[0]?.spec?.configuration?.updateWindow).toBeUndefined();
  });
});
