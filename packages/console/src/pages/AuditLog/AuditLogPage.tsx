import { useQuery } from "@connectrpc/connect-query";
import { EventService, ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { ListState } from "../../components/ListState";
import { Pagination, usePageTokens } from "../../components/Pagination";
import { Time } from "../../components/Time";
import { enumLabel } from "../../modules/labels";

/** The organization's audit log (org admins), newest first. */
export default function AuditLogPage() {
  const pages = usePageTokens();
  const log = useQuery(EventService.method.listAuditLogs, { pagination: { token: pages.token, pageSize: 50 } });
  return (
    <section>
      <h1>Audit log</h1>
      <ListState
        items={log.data?.entries}
        error={log.error}
        label="the audit log"
        empty={<p>Nothing has been recorded yet.</p>}
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
      <Pagination
        page={pages.page}
        nextToken={log.data?.pagination?.nextToken || undefined}
        onNext={pages.next}
        onPrevious={pages.previous}
      />
    </section>
  );
}
