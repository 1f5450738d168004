import { useMutation } from "@connectrpc/connect-query";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { invalidateRunners } from "../../api/invalidate";
import { CreateRunnerPageView } from "./CreateRunnerPageView";

export default function CreateRunnerPage() {
  const queryClient = useQueryClient();
  const create = useMutation(RunnerService.method.createRunner, { onSuccess: () => invalidateRunners(queryClient) });
  return (
    <CreateRunnerPageView
      pending={create.isPending}
      error={create.error ?? undefined}
      created={
        create.data?.runner
          ? { runnerId: create.data.runner.runnerId, name: create.data.runner.name, token: create.data.exchangeToken }
          : undefined
      }
      // The server deduces the kind from the provider and refuses both at once.
      onCreate={(name, kind, provider) => create.mutate(provider ? { name, provider } : { name, kind })}
    />
  );
}
