/**
 * A runner's configuration, every field UpdateRunner can change (runner.proto,
 * UpdateRunnerRequest.Spec): name, release channel, auto-update and its window, log level,
 * metrics, dev container image cache, continuous profiling, the Honeycomb key, and — for the
 * organization's configuration runner only — the desired phase. Secrets (metrics password,
 * Honeycomb key) are write-only here: empty leaves the stored value as it is.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { useMutation } from "@connectrpc/connect-query";
import { RunnerKind } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  LogLevel,
  type Runner,
  RunnerPhase,
  RunnerReleaseChannel,
  RunnerService,
  type UpdateRunnerRequest_RunnerConfigurationSchema,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { invalidateRunners } from "../../api/invalidate";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/TextField";
import { enumLabel } from "../../modules/labels";

type ConfigurationInit = MessageInitShape<typeof UpdateRunnerRequest_RunnerConfigurationSchema>;

/** Violations shown beside their control; any other error is shown as a notice. */
const shownFields = {
  name: "name",
  window: "spec.configuration.updateWindow",
  honeycomb: "spec.configuration.honeycombApiKey",
  metricsUrl: "spec.configuration.metrics.url",
} as const;

function Check({
  id,
  label,
  checked,
  onChange,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
}) {
  return (
    <div className="field field-check">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
    </div>
  );
}

/** "" → no value; otherwise a whole hour 0..23 (the server checks the window's rules). */
function hour(value: string): number | undefined {
  return value.trim() === "" ? undefined : Number(value);
}

export function RunnerSettingsSection({ runner }: { runner: Runner }) {
  const queryClient = useQueryClient();
  const config = runner.spec?.configuration;
  const metrics = config?.metrics;
  const [name, setName] = useState(runner.name);
  const [channel, setChannel] = useState(config?.releaseChannel ?? RunnerReleaseChannel.UNSPECIFIED);
  const [autoUpdate, setAutoUpdate] = useState(config?.autoUpdate ?? false);
  const [windowStart, setWindowStart] = useState(config?.updateWindow?.startHour?.toString() ?? "");
  const [windowEnd, setWindowEnd] = useState(config?.updateWindow?.endHour?.toString() ?? "");
  const [logLevel, setLogLevel] = useState(config?.logLevel ?? LogLevel.UNSPECIFIED);
  const [imageCache, setImageCache] = useState(config?.devcontainerImageCacheEnabled ?? false);
  const [profiling, setProfiling] = useState(config?.continuousProfiling ?? false);
  const [honeycombKey, setHoneycombKey] = useState("");
  const [metricsEnabled, setMetricsEnabled] = useState(metrics?.enabled ?? false);
  const [metricsUrl, setMetricsUrl] = useState(metrics?.url ?? "");
  const [metricsUser, setMetricsUser] = useState(metrics?.username ?? "");
  const [metricsPassword, setMetricsPassword] = useState("");
  const [managedMetrics, setManagedMetrics] = useState(metrics?.managedMetricsEnabled ?? false);
  const [verboseMetrics, setVerboseMetrics] = useState(metrics?.includeVerboseMetrics ?? false);
  const [desiredPhase, setDesiredPhase] = useState(runner.spec?.desiredPhase ?? RunnerPhase.UNSPECIFIED);
  const canSwitchPhase = runner.kind === RunnerKind.LOCAL_CONFIGURATION;
  const update = useMutation(RunnerService.method.updateRunner, {
    onSuccess: () => {
      setHoneycombKey("");
      setMetricsPassword("");
      return invalidateRunners(queryClient);
    },
  });
  const { fields, notice } = formErrors(update.error);
  const start = hour(windowStart);
  const end = hour(windowEnd);
  const configuration: ConfigurationInit = {
    releaseChannel: channel,
    autoUpdate,
    logLevel,
    devcontainerImageCacheEnabled: imageCache,
    continuousProfiling: profiling,
    metrics: {
      enabled: metricsEnabled,
      url: metricsUrl.trim(),
      username: metricsUser.trim(),
      managedMetricsEnabled: managedMetrics,
      includeVerboseMetrics: verboseMetrics,
      ...(metricsPassword ? { password: metricsPassword } : {}),
    },
    ...(start !== undefined
      ? { updateWindow: { startHour: start, ...(end !== undefined ? { endHour: end } : {}) } }
      : {}),
    ...(honeycombKey ? { honeycombApiKey: honeycombKey } : {}),
  };
  const elsewhere = Object.keys(fields).some((f) => !(Object.values(shownFields) as string[]).includes(f));
  return (
    <section aria-labelledby="settings-heading" className="card">
      <h2 id="settings-heading">Configuration</h2>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({
            runnerId: runner.runnerId,
            name: name.trim(),
            spec: {
              configuration,
              ...(canSwitchPhase && desiredPhase !== RunnerPhase.UNSPECIFIED ? { desiredPhase } : {}),
            },
          });
        }}
      >
        <TextField label="Runner name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
        {canSwitchPhase && (
          <div className="field">
            <label htmlFor="desired-phase">Desired phase</label>
            <select id="desired-phase" value={desiredPhase} onChange={(e) => setDesiredPhase(Number(e.target.value))}>
              {[RunnerPhase.UNSPECIFIED, RunnerPhase.ACTIVE, RunnerPhase.INACTIVE].map((p) => (
                <option key={p} value={p}>
                  {p === 0 ? "Unchanged" : enumLabel(RunnerPhase, p)}
                </option>
              ))}
            </select>
          </div>
        )}
        <fieldset className="fieldset">
          <legend>Updates</legend>
          <div className="field">
            <label htmlFor="release-channel">Release channel</label>
            <select id="release-channel" value={channel} onChange={(e) => setChannel(Number(e.target.value))}>
              {[RunnerReleaseChannel.UNSPECIFIED, RunnerReleaseChannel.STABLE, RunnerReleaseChannel.LATEST].map((c) => (
                <option key={c} value={c}>
                  {c === 0 ? "Default" : enumLabel(RunnerReleaseChannel, c)}
                </option>
              ))}
            </select>
          </div>
          <Check id="auto-update" label="Update automatically" checked={autoUpdate} onChange={setAutoUpdate} />
          <TextField
            label="Update window from (UTC hour)"
            type="number"
            min={0}
            max={23}
            inputMode="numeric"
            value={windowStart}
            onChange={(e) => setWindowStart(e.target.value)}
            error={fields[shownFields.window]}
            hint="Empty: updates may happen at any time. The window is at least 2 hours and may span midnight."
          />
          <TextField
            label="Update window until (UTC hour)"
            type="number"
            min={0}
            max={23}
            inputMode="numeric"
            value={windowEnd}
            onChange={(e) => setWindowEnd(e.target.value)}
            hint="Empty: 2 hours after the start."
          />
        </fieldset>
        <fieldset className="fieldset">
          <legend>Diagnostics</legend>
          <div className="field">
            <label htmlFor="log-level">Log level</label>
            <select id="log-level" value={logLevel} onChange={(e) => setLogLevel(Number(e.target.value))}>
              {[LogLevel.UNSPECIFIED, LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR].map((l) => (
                <option key={l} value={l}>
                  {l === 0 ? "Default" : enumLabel(LogLevel, l)}
                </option>
              ))}
            </select>
          </div>
          <Check id="continuous-profiling" label="Continuous profiling" checked={profiling} onChange={setProfiling} />
          <TextField
            label="Honeycomb API key"
            type="password"
            autoComplete="off"
            value={honeycombKey}
            onChange={(e) => setHoneycombKey(e.target.value)}
            error={fields[shownFields.honeycomb]}
            hint={
              config?.encryptedHoneycombApiKey.length
                ? "A key is set (sealed for the runner). Empty keeps it; a new value replaces it."
                : "No key is set. It is sealed with the runner's public key, so the runner must have signed up."
            }
          />
        </fieldset>
        <fieldset className="fieldset">
          <legend>Metrics</legend>
          <Check id="metrics-enabled" label="Collect metrics" checked={metricsEnabled} onChange={setMetricsEnabled} />
          <TextField
            label="Metrics URL"
            type="url"
            value={metricsUrl}
            onChange={(e) => setMetricsUrl(e.target.value)}
            error={fields[shownFields.metricsUrl]}
            hint="A Prometheus remote-write endpoint."
          />
          <TextField
            label="Metrics user name"
            value={metricsUser}
            autoComplete="off"
            onChange={(e) => setMetricsUser(e.target.value)}
          />
          <TextField
            label="Metrics password"
            type="password"
            autoComplete="off"
            value={metricsPassword}
            onChange={(e) => setMetricsPassword(e.target.value)}
            hint="Empty keeps the stored password; it is stored encrypted and not shown here."
          />
          <Check
            id="metrics-managed"
            label="Send metrics to the management plane"
            checked={managedMetrics}
            onChange={setManagedMetrics}
          />
          <Check
            id="metrics-verbose"
            label="Include verbose metrics"
            checked={verboseMetrics}
            onChange={setVerboseMetrics}
          />
        </fieldset>
        <Check id="image-cache" label="Cache dev container images" checked={imageCache} onChange={setImageCache} />
        {(notice || elsewhere) && <ErrorNotice error={update.error} action="change this runner" />}
        {update.isSuccess && (
          <p className="success" role="status">
            Saved.
          </p>
        )}
        <button type="submit" disabled={update.isPending}>
          Save configuration
        </button>
      </form>
    </section>
  );
}
