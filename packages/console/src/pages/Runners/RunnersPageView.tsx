import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import type { Runner } from "@runnerplane/api/gitpod/v1/runner_pb";
import { Link } from "wouter";
import { ListState } from "../../components/ListState";
import { Pagination } from "../../components/Pagination";
import { Time } from "../../components/Time";
import { kindLabel, providerLabel } from "../../modules/labels";
import { PhaseBadge } from "../../modules/runners/PhaseBadge";

export interface RunnerFilters {
  kind: number;
  provider: number;
  mine: boolean;
}

const kinds = [RunnerKind.REMOTE, RunnerKind.LOCAL, RunnerKind.LOCAL_CONFIGURATION];
const providers = [
  RunnerProvider.AWS_EC2,
  RunnerProvider.GCP,
  RunnerProvider.MANAGED,
  RunnerProvider.LINUX_HOST,
  RunnerProvider.DESKTOP_MAC,
  RunnerProvider.DEV_AGENT,
];

export function RunnersPageView({
  runners,
  error,
  filters,
  onFilters,
  page,
  nextToken,
  onNext,
  onPrevious,
}: {
  runners: Runner[] | undefined;
  error: unknown;
  filters: RunnerFilters;
  onFilters: (f: RunnerFilters) => void;
  page: number;
  nextToken: string | undefined;
  onNext: (token: string) => void;
  onPrevious: () => void;
}) {
  const filtered = filters.kind !== 0 || filters.provider !== 0 || filters.mine;
  return (
    <section>
      <div className="page-head">
        <h1>Runners</h1>
        <Link href="/runners/new" className="button">
          Create runner
        </Link>
      </div>
      <form className="filters" aria-label="Filter runners" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-kind">Kind</label>
          <select
            id="filter-kind"
            value={filters.kind}
            onChange={(e) => onFilters({ ...filters, kind: Number(e.target.value) })}
          >
            <option value={0}>All kinds</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-provider">Provider</label>
          <select
            id="filter-provider"
            value={filters.provider}
            onChange={(e) => onFilters({ ...filters, provider: Number(e.target.value) })}
          >
            <option value={0}>All providers</option>
            {providers.map((p) => (
              <option key={p} value={p}>
                {providerLabel(p)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-check">
          <label htmlFor="filter-mine">Created by me</label>
          <input
            id="filter-mine"
            type="checkbox"
            checked={filters.mine}
            onChange={(e) => onFilters({ ...filters, mine: e.target.checked })}
          />
        </div>
      </form>
      <ListState
        items={runners}
        error={error}
        label="runners"
        empty={
          filtered ? (
            <p>No runner matches these filters.</p>
          ) : (
            <p>
              No runners yet. <Link href="/runners/new">Create a runner</Link> and start it where your environments
              should run.
            </p>
          )
        }
      >
        {(items) => (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Runners</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Phase</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Version</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.runnerId}>
                    <td data-label="Name">
                      <Link href={`/runners/${r.runnerId}`}>{r.name}</Link>
                    </td>
                    <td data-label="Phase">
                      <PhaseBadge phase={r.status?.phase} />
                    </td>
                    <td data-label="Kind">{kindLabel(r.kind)}</td>
                    <td data-label="Provider">{providerLabel(r.provider)}</td>
                    <td data-label="Version">{r.status?.version || <span className="muted">—</span>}</td>
                    <td data-label="Last seen">
                      <Time value={r.status?.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <Pagination page={page} nextToken={nextToken} onNext={onNext} onPrevious={onPrevious} />
    </section>
  );
}
