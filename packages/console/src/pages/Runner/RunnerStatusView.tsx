import { type Runner, RunnerCapability } from "@runnerplane/api/gitpod/v1/runner_pb";
import { Time } from "../../components/Time";
import { enumLabel, kindLabel, providerLabel } from "../../modules/labels";
import { PhaseBadge } from "../../modules/runners/PhaseBadge";

export function RunnerStatusView({ runner }: { runner: Runner }) {
  const s = runner.status;
  return (
    <section aria-labelledby="status-heading" className="card">
      <h2 id="status-heading">Status</h2>
      <dl className="facts">
        <dt>Phase</dt>
        <dd>
          <PhaseBadge phase={s?.phase} />
        </dd>
        <dt>Kind</dt>
        <dd>{kindLabel(runner.kind)}</dd>
        <dt>Provider</dt>
        <dd>{providerLabel(runner.provider)}</dd>
        <dt>Version</dt>
        <dd>{s?.version || "—"}</dd>
        <dt>Region</dt>
        <dd>{s?.region || "—"}</dd>
        <dt>Last seen</dt>
        <dd>
          <Time value={s?.updatedAt} never="never connected" />
        </dd>
        <dt>Message</dt>
        <dd>{s?.message || "—"}</dd>
        <dt>Capabilities</dt>
        <dd>{s?.capabilities.length ? s.capabilities.map((c) => enumLabel(RunnerCapability, c)).join(", ") : "—"}</dd>
        <dt>Runner id</dt>
        <dd>
          <code>{runner.runnerId}</code>
        </dd>
      </dl>
    </section>
  );
}
