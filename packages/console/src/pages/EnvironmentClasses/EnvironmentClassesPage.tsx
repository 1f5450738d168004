/**
 * A runner's environment classes: the list (enable/disable, rename) and a new class whose
 * configuration form is generated from the runner's schema. Before saving, the class is
 * checked in the browser against the schema and then by ValidateRunnerConfiguration; the
 * runner's verdict is shown per field, and only a valid class is created.
 */
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { invalidateConfiguration } from "../../api/invalidate";
import { EnvironmentClassesPageView, type NewClass } from "./EnvironmentClassesPageView";

export default function EnvironmentClassesPage() {
  const { id: runnerId = "" } = useParams<{ id: string }>();
  const queryClient = useQueryClient();
  const runner = useQuery(RunnerService.method.getRunner, { runnerId });
  const schema = useQuery(RunnerConfigurationService.method.getRunnerConfigurationSchema, { runnerId });
  const classes = useQuery(RunnerConfigurationService.method.listEnvironmentClasses, {
    filter: { runnerIds: [runnerId] },
    pagination: { pageSize: 100 },
  });
  const onSuccess = () => invalidateConfiguration(queryClient);
  const validate = useMutation(RunnerConfigurationService.method.validateRunnerConfiguration);
  const create = useMutation(RunnerConfigurationService.method.createEnvironmentClass, { onSuccess });
  const update = useMutation(RunnerConfigurationService.method.updateEnvironmentClass, { onSuccess });

  /** Validates, then creates; resolves to the runner's per-field errors (empty when created). */
  const submit = async (c: NewClass): Promise<Record<string, string>> => {
    const answer = await validate.mutateAsync({
      runnerId,
      config: {
        case: "environmentClass",
        value: { runnerId, displayName: c.displayName, description: c.description, configuration: c.configuration },
      },
    });
    const result = answer.result.case === "environmentClass" ? answer.result.value : undefined;
    if (result && !result.valid) {
      const errors: Record<string, string> = {};
      if (result.displayNameError) errors.displayName = result.displayNameError;
      if (result.descriptionError) errors.description = result.descriptionError;
      for (const e of result.configurationErrors) errors[`config.${e.key}`] = e.error;
      if (Object.keys(errors).length === 0) errors.form = "The runner refused this configuration.";
      return errors;
    }
    await create.mutateAsync({ runnerId, ...c });
    return {};
  };

  return (
    <section>
      <p className="breadcrumb">
        <Link href="/runners">Runners</Link> /{" "}
        <Link href={`/runners/${runnerId}`}>{runner.data?.runner?.name ?? "…"}</Link> /
      </p>
      <EnvironmentClassesPageView
        runnerName={runner.data?.runner?.name}
        schemaFields={schema.data?.schema?.environmentClasses}
        schemaError={schema.error}
        classes={classes.data?.environmentClasses}
        classesError={classes.error}
        submitError={validate.error ?? create.error ?? undefined}
        updateError={update.error ?? undefined}
        submitting={validate.isPending || create.isPending}
        onSubmit={submit}
        onUpdate={(environmentClassId, change) => update.mutate({ environmentClassId, ...change })}
      />
    </section>
  );
}
