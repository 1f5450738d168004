import type { ListAuditLogsResponse_AuditLogEntry } from "@runnerplane/api/gitpod/v1/event_pb";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { useState } from "react";
import { ListState } from "../../components/ListState";
import { Pagination } from "../../components/Pagination";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";
import { enumLabel } from "../../modules/labels";

/** What ListAuditLogs' filter asks for; 0 and "" mean "any". */
export interface AuditFilters {
  actorPrincipal: Principal;
  actorId: string;
  subjectType: ResourceType;
  subjectId: string;
}

export const noAuditFilters: AuditFilters = {
  actorPrincipal: Principal.UNSPECIFIED,
  actorId: "",
  subjectType: ResourceType.UNSPECIFIED,
  subjectId: "",
};

/** The actors that write entries (behaviour.md §15). */
const principals = [Principal.USER, Principal.SERVICE_ACCOUNT, Principal.RUNNER];

/** The subject types this server records. */
const subjectTypes = [
  ResourceType.RUNNER,
  ResourceType.ENVIRONMENT_CLASS,
  ResourceType.RUNNER_SCM_INTEGRATION,
  ResourceType.HOST_AUTHENTICATION_TOKEN,
  ResourceType.RUNNER_LLM_INTEGRATION,
  ResourceType.ORGANIZATION,
  ResourceType.USER,
  ResourceType.GROUP,
  ResourceType.GROUP_MEMBERSHIP_CHANGED,
  ResourceType.ROLE_ASSIGNMENT,
  ResourceType.SERVICE_ACCOUNT,
  ResourceType.SERVICE_ACCOUNT_TOKEN,
  ResourceType.PERSONAL_ACCESS_TOKEN,
  ResourceType.SSO_CONFIG,
];

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idError = (v: string) => (v === "" || uuid.test(v) ? undefined : "must be an id (a UUID)");

export function AuditLogPageView({
  entries,
  error,
  filters,
  onFilters,
  page,
  nextToken,
  onNext,
  onPrevious,
}: {
  entries: ListAuditLogsResponse_AuditLogEntry[] | undefined;
  error: unknown;
  filters: AuditFilters;
  onFilters: (f: AuditFilters) => void;
  page: number;
  nextToken: string | undefined;
  onNext: (token: string) => void;
  onPrevious: () => void;
}) {
  const [draft, setDraft] = useState(filters);
  const [checked, setChecked] = useState(false);
  const errors = checked ? { actorId: idError(draft.actorId), subjectId: idError(draft.subjectId) } : {};
  const filtered =
    filters.actorPrincipal !== 0 || filters.subjectType !== 0 || filters.actorId !== "" || filters.subjectId !== "";
  return (
    <section>
      <h1>Audit log</h1>
      <form
        className="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const next = { ...draft, actorId: draft.actorId.trim(), subjectId: draft.subjectId.trim() };
          setDraft(next);
          setChecked(true);
          if (idError(next.actorId) || idError(next.subjectId)) return;
          onFilters(next);
        }}
      >
        <div className="field">
          <label htmlFor="audit-actor-principal">Actor</label>
          <select
            id="audit-actor-principal"
            value={draft.actorPrincipal}
            onChange={(e) => setDraft({ ...draft, actorPrincipal: Number(e.target.value) })}
          >
            <option value={0}>Anyone</option>
            {principals.map((p) => (
              <option key={p} value={p}>
                {enumLabel(Principal, p)}
              </option>
            ))}
          </select>
        </div>
        <TextField
          label="Actor ID"
          value={draft.actorId}
          onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}
          error={errors.actorId}
        />
        <div className="field">
          <label htmlFor="audit-subject-type">Subject type</label>
          <select
            id="audit-subject-type"
            value={draft.subjectType}
            onChange={(e) => setDraft({ ...draft, subjectType: Number(e.target.value) })}
          >
            <option value={0}>Any</option>
            {subjectTypes.map((t) => (
              <option key={t} value={t}>
                {enumLabel(ResourceType, t)}
              </option>
            ))}
          </select>
        </div>
        <TextField
          label="Subject ID"
          value={draft.subjectId}
          onChange={(e) => setDraft({ ...draft, subjectId: e.target.value })}
          error={errors.subjectId}
        />
        <span className="actions">
          <button type="submit">Apply filters</button>
          {filtered && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setDraft(noAuditFilters);
                setChecked(false);
                onFilters(noAuditFilters);
              }}
            >
              Clear filters
            </button>
          )}
        </span>
      </form>
      <ListState
        items={entries}
        error={error}
        label="the audit log"
        empty={<p>{filtered ? "No entry matches these filters." : "Nothing has been recorded yet."}</p>}
      >
        {(items) => (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Audit log entries</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Subject</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td data-label="When">
                      <Time value={e.createdAt} />
                    </td>
                    <td data-label="Actor">
                      {enumLabel(Principal, e.actorPrincipal)} <code>{e.actorId}</code>
                    </td>
                    <td data-label="Action">{e.action}</td>
                    <td data-label="Subject">
                      {enumLabel(ResourceType, e.subjectType)} <code>{e.subjectId}</code>
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
