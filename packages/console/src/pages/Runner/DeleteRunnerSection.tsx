import { useMutation } from "@connectrpc/connect-query";
import { type Runner, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useLocation } from "wouter";
import { invalidateRunners } from "../../api/invalidate";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";

export function DeleteRunnerSection({ runner }: { runner: Runner }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const remove = useMutation(RunnerService.method.deleteRunner, {
    onSuccess: async () => {
      await invalidateRunners(queryClient);
      navigate("/runners");
    },
  });
  return (
    <section aria-labelledby="delete-heading" className="card card-danger">
      <h2 id="delete-heading">Delete runner</h2>
      <p>The runner is told to stop; its environment classes, integrations and tokens go with it.</p>
      {remove.error && <ErrorNotice error={remove.error} action="delete this runner" />}
      <ConfirmButton
        label="Delete runner"
        question={`Delete ${runner.name}? This cannot be undone.`}
        confirmLabel={`Yes, delete ${runner.name}`}
        pending={remove.isPending}
        onConfirm={() => remove.mutate({ runnerId: runner.runnerId })}
      />
    </section>
  );
}
