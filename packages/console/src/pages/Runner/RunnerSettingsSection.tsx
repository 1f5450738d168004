import { useMutation } from "@connectrpc/connect-query";
import { LogLevel, type Runner, RunnerReleaseChannel, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../api/errors";
import { invalidateRunners } from "../../api/invalidate";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/TextField";
import { enumLabel } from "../../modules/labels";

export function RunnerSettingsSection({ runner }: { runner: Runner }) {
  const queryClient = useQueryClient();
  const config = runner.spec?.configuration;
  const [name, setName] = useState(runner.name);
  const [channel, setChannel] = useState(config?.releaseChannel ?? RunnerReleaseChannel.UNSPECIFIED);
  const [autoUpdate, setAutoUpdate] = useState(config?.autoUpdate ?? false);
  const [logLevel, setLogLevel] = useState(config?.logLevel ?? LogLevel.UNSPECIFIED);
  const update = useMutation(RunnerService.method.updateRunner, { onSuccess: () => invalidateRunners(queryClient) });
  const fields = update.error ? describeError(update.error).fields : {};
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
            spec: { configuration: { releaseChannel: channel, autoUpdate, logLevel } },
          });
        }}
      >
        <TextField label="Runner name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
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
        <div className="field field-check">
          <label htmlFor="auto-update">Update automatically</label>
          <input
            id="auto-update"
            type="checkbox"
            checked={autoUpdate}
            onChange={(e) => setAutoUpdate(e.target.checked)}
          />
        </div>
        {update.error && Object.keys(fields).length === 0 && (
          <ErrorNotice error={update.error} action="change this runner" />
        )}
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
