import { useQuery } from "@connectrpc/connect-query";
import { EventService } from "@runnerplane/api/gitpod/v1/event_pb";
import { keepPreviousData } from "@tanstack/react-query";
import { useState } from "react";
import { usePageTokens } from "../../components/Pagination";
import { type AuditFilters, AuditLogPageView, noAuditFilters } from "./AuditLogPageView";

/** The organization's audit log (org admins), newest first, filtered as ListAuditLogs allows. */
export default function AuditLogPage() {
  const pages = usePageTokens();
  const [filters, setFilters] = useState<AuditFilters>(noAuditFilters);
  const log = useQuery(
    EventService.method.listAuditLogs,
    {
      pagination: { token: pages.token, pageSize: 50 },
      filter: {
        actorPrincipals: filters.actorPrincipal ? [filters.actorPrincipal] : [],
        actorIds: filters.actorId ? [filters.actorId] : [],
        subjectTypes: filters.subjectType ? [filters.subjectType] : [],
        subjectIds: filters.subjectId ? [filters.subjectId] : [],
      },
    },
    // The last answer stays on screen while a new filter's is on its way.
    { placeholderData: keepPreviousData },
  );
  return (
    <AuditLogPageView
      entries={log.data?.entries}
      error={log.error}
      filters={filters}
      onFilters={(f) => {
        setFilters(f);
        pages.reset();
      }}
      page={pages.page}
      nextToken={log.data?.pagination?.nextToken || undefined}
      onNext={pages.next}
      onPrevious={pages.previous}
    />
  );
}
