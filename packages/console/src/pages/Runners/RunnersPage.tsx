import { useQuery } from "@connectrpc/connect-query";
import type { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { keepPreviousData } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "../../api/session-context";
import { usePageTokens } from "../../components/Pagination";
import { type RunnerFilters, RunnersPageView } from "./RunnersPageView";

/** How often the list asks again, so phases and last-seen times stay live. */
export const runnersPollMs = 5_000;

export function RunnersPage() {
  const session = useSession();
  const [filters, setFilters] = useState<RunnerFilters>({ kind: 0, provider: 0, mine: false });
  const pages = usePageTokens();
  const runners = useQuery(
    RunnerService.method.listRunners,
    {
      pagination: { token: pages.token, pageSize: 20 },
      filter: {
        kinds: filters.kind ? [filters.kind as RunnerKind] : [],
        providers: filters.provider ? [filters.provider as RunnerProvider] : [],
        creatorIds: filters.mine ? [session.subjectId] : [],
      },
    },
    // The last page stays on screen while the next filter's or page's answer is on its way.
    { refetchInterval: runnersPollMs, placeholderData: keepPreviousData },
  );
  return (
    <RunnersPageView
      runners={runners.data?.runners}
      error={runners.error}
      filters={filters}
      onFilters={(f) => {
        setFilters(f);
        pages.reset();
      }}
      page={pages.page}
      nextToken={runners.data?.pagination?.nextToken || undefined}
      onNext={pages.next}
      onPrevious={pages.previous}
    />
  );
}
