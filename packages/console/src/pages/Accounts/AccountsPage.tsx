/**
 * "Your accounts": for each host the chosen runner serves (its SCM integrations), whether you
 * are connected, a link to connect through OAuth (the URL CheckAuthenticationForHost returns),
 * a field to enter a personal access token instead; and your host tokens, to remove.
 * The page and `HostAccount` fetch; `AccountsPageView` and `HostAccountView` take props only.
 */
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  HostAuthenticationTokenSource,
  RunnerConfigurationService,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearch } from "wouter";
import { invalidateConfiguration } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { AccountsPageView, HostAccountView } from "./AccountsPageView";

export default function AccountsPage() {
  // `?runner=` picks the runner: the OAuth flow comes back to this page with it.
  const search = useSearch();
  const [runnerId, setRunnerId] = useState(() => new URLSearchParams(search).get("runner") ?? "");
  const session = useSession();
  const queryClient = useQueryClient();
  const integrations = useQuery(
    RunnerConfigurationService.method.listSCMIntegrations,
    { filter: { runnerIds: [runnerId] }, pagination: { pageSize: 100 } },
    { enabled: runnerId !== "" },
  );
  const tokens = useQuery(
    RunnerConfigurationService.method.listHostAuthenticationTokens,
    { filter: { runnerId, subjectId: session.subjectId }, pagination: { pageSize: 100 } },
    { enabled: runnerId !== "" },
  );
  const remove = useMutation(RunnerConfigurationService.method.deleteHostAuthenticationToken, {
    onSuccess: () => invalidateConfiguration(queryClient),
  });
  return (
    <AccountsPageView
      runnerId={runnerId}
      onRunnerId={setRunnerId}
      hosts={integrations.data ? [...new Set(integrations.data.integrations.map((i) => i.host))] : undefined}
      hostsError={integrations.error}
      renderHost={(host) => <HostAccount key={host} runnerId={runnerId} host={host} userId={session.subjectId} />}
      tokens={tokens.data?.tokens}
      tokensError={tokens.error}
      onRemove={(id) => remove.mutate({ id })}
      removeError={remove.error}
    />
  );
}

function HostAccount({ runnerId, host, userId }: { runnerId: string; host: string; userId: string }) {
  const queryClient = useQueryClient();
  const check = useQuery(RunnerService.method.checkAuthenticationForHost, { runnerId, host });
  const [pat, setPat] = useState("");
  const save = useMutation(RunnerConfigurationService.method.createHostAuthenticationToken, {
    onSuccess: async () => {
      setPat("");
      await invalidateConfiguration(queryClient);
    },
  });
  return (
    <HostAccountView
      runnerId={runnerId}
      host={host}
      answer={check.data}
      checkError={check.error}
      pat={pat}
      onPat={setPat}
      onSavePat={(token) =>
        save.mutate({
          runnerId,
          host,
          token,
          source: HostAuthenticationTokenSource.PAT,
          subject: { id: userId, principal: Principal.USER },
        })
      }
      saving={save.isPending}
      saveError={save.error}
    />
  );
}
