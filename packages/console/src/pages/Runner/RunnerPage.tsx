/** One runner: its live status, configuration, tokens, who may use it, its classes and integrations, and deletion. */
import { useQuery } from "@connectrpc/connect-query";
import { RunnerKind } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { Link, useParams } from "wouter";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Skeleton } from "../../components/ListState";
import { runnersPollMs } from "../Runners/RunnersPage";
import { DeleteRunnerSection } from "./DeleteRunnerSection";
import { RunnerAccessSection } from "./RunnerAccessSection";
import { RunnerSettingsSection } from "./RunnerSettingsSection";
import { RunnerStatusView } from "./RunnerStatusView";
import { RunnerTokensSection } from "./RunnerTokensSection";

export default function RunnerPage() {
  const { id = "" } = useParams<{ id: string }>();
  const runner = useQuery(RunnerService.method.getRunner, { runnerId: id }, { refetchInterval: runnersPollMs });
  if (runner.error) {
    return (
      <section>
        <h1>Runner</h1>
        <ErrorNotice error={runner.error} action="see this runner" />
        <p>
          <Link href="/runners">Back to runners</Link>
        </p>
      </section>
    );
  }
  const r = runner.data?.runner;
  if (!r) return <Skeleton label="Loading runner…" />;
  return (
    <section>
      <p className="breadcrumb">
        <Link href="/runners">Runners</Link> /
      </p>
      <h1>{r.name}</h1>
      <RunnerStatusView runner={r} />
      <nav className="subnav" aria-label="Runner configuration">
        <Link href={`/runners/${r.runnerId}/environment-classes`} className="button secondary">
          Environment classes
        </Link>
        <Link href={`/runners/${r.runnerId}/scm-integrations`} className="button secondary">
          SCM integrations
        </Link>
      </nav>
      <RunnerSettingsSection runner={r} />
      <RunnerTokensSection runnerId={r.runnerId} />
      {r.kind === RunnerKind.LOCAL ? (
        <section aria-labelledby="access-heading" className="card">
          <h2 id="access-heading">Role assignments</h2>
          <p>A personal runner belongs to the person who created it; groups get roles on organization runners only.</p>
        </section>
      ) : (
        <RunnerAccessSection runnerId={r.runnerId} />
      )}
      <DeleteRunnerSection runner={r} />
    </section>
  );
}
