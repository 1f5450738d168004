/**
 * A runner's SCM integrations: add and edit (OAuth app with its issuer, PAT, an Azure DevOps
 * Server's virtual directory), remove with confirmation, and the callback URL to register.
 */
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { invalidateConfiguration } from "../../api/invalidate";
import { ScmIntegrationsPageView } from "./ScmIntegrationsPageView";

export default function ScmIntegrationsPage() {
  const { id: runnerId = "" } = useParams<{ id: string }>();
  const queryClient = useQueryClient();
  const runner = useQuery(RunnerService.method.getRunner, { runnerId });
  const schema = useQuery(RunnerConfigurationService.method.getRunnerConfigurationSchema, { runnerId });
  const integrations = useQuery(RunnerConfigurationService.method.listSCMIntegrations, {
    filter: { runnerIds: [runnerId] },
    pagination: { pageSize: 100 },
  });
  const onSuccess = () => invalidateConfiguration(queryClient);
  const create = useMutation(RunnerConfigurationService.method.createSCMIntegration, { onSuccess });
  const remove = useMutation(RunnerConfigurationService.method.deleteSCMIntegration, { onSuccess });
  const update = useMutation(RunnerConfigurationService.method.updateSCMIntegration, { onSuccess });
  return (
    <section>
      <p className="breadcrumb">
        <Link href="/runners">Runners</Link> /{" "}
        <Link href={`/runners/${runnerId}`}>{runner.data?.runner?.name ?? "…"}</Link> /
      </p>
      <ScmIntegrationsPageView
        scms={schema.data?.schema?.scm}
        schemaError={schema.error}
        integrations={integrations.data?.integrations}
        integrationsError={integrations.error}
        mutationError={create.error ?? undefined}
        deleteError={remove.error ?? undefined}
        creating={create.isPending}
        created={create.isSuccess}
        onCreate={(i) =>
          create.mutateAsync({
            runnerId,
            scmId: i.scmId,
            host: i.host,
            pat: i.pat,
            ...(i.clientId ? { oauthClientId: i.clientId, oauthPlaintextClientSecret: i.clientSecret } : {}),
            ...(i.clientId && i.issuerUrl ? { issuerUrl: i.issuerUrl } : {}),
            ...(i.virtualDirectory ? { virtualDirectory: i.virtualDirectory } : {}),
          })
        }
        onUpdate={(c) =>
          update.mutateAsync({
            id: c.id,
            pat: c.pat,
            ...(c.clientId !== undefined ? { oauthClientId: c.clientId } : {}),
            ...(c.clientSecret !== undefined ? { oauthPlaintextClientSecret: c.clientSecret } : {}),
            ...(c.issuerUrl !== undefined ? { issuerUrl: c.issuerUrl } : {}),
            ...(c.virtualDirectory !== undefined ? { virtualDirectory: c.virtualDirectory } : {}),
          })
        }
        updateError={update.error ?? undefined}
        updating={update.isPending}
        updatedId={update.isSuccess ? update.variables.id : undefined}
        onDelete={(id) => remove.mutate({ id })}
        deleting={remove.isPending}
      />
    </section>
  );
}
