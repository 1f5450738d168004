import type {
  EnvironmentClass,
  RunnerConfigurationSchema_Field,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { SchemaForm } from "../../modules/schema-form/SchemaForm";
import { checkAll, type FieldValues, initialValues, toFieldValues } from "../../modules/schema-form/schema-checks";

export interface NewClass {
  displayName: string;
  description: string;
  configuration: { key: string; value: string }[];
}

export function EnvironmentClassesPageView({
  runnerName,
  schemaFields,
  schemaError,
  classes,
  classesError,
  submitError,
  updateError,
  submitting,
  onSubmit,
  onUpdate,
}: {
  runnerName: string | undefined;
  schemaFields: RunnerConfigurationSchema_Field[] | undefined;
  schemaError: unknown;
  classes: EnvironmentClass[] | undefined;
  classesError: unknown;
  submitError: unknown;
  updateError: unknown;
  submitting: boolean;
  onSubmit: (c: NewClass) => Promise<Record<string, string>>;
  onUpdate: (id: string, change: { enabled?: boolean; displayName?: string; description?: string }) => void;
}) {
  return (
    <>
      <h1>Environment classes{runnerName ? ` of ${runnerName}` : ""}</h1>
      <ListState
        items={classes}
        error={classesError}
        label="environment classes"
        empty={<p>This runner has no environment classes yet. Add the first one below.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((c) => (
              <li key={c.id}>
                <span>
                  <strong>{c.displayName}</strong> — {c.description}{" "}
                  <span className="muted">
                    {c.configuration.map((v) => `${v.key}=${v.value}`).join(", ")}
                    {c.enabled ? "" : " (disabled)"}
                  </span>
                </span>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`${c.enabled ? "Disable" : "Enable"} ${c.displayName}`}
                  onClick={() => onUpdate(c.id, { enabled: !c.enabled })}
                >
                  {c.enabled ? "Disable" : "Enable"}
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {updateError ? <ErrorNotice error={updateError} action="change environment classes" /> : null}
      <section aria-labelledby="new-class-heading" className="card">
        <h2 id="new-class-heading">New environment class</h2>
        {schemaError ? (
          <ErrorNotice error={schemaError} action="read this runner's configuration schema" />
        ) : schemaFields === undefined ? (
          <Skeleton label="Loading the runner's configuration schema…" />
        ) : (
          <NewClassForm fields={schemaFields} submitting={submitting} submitError={submitError} onSubmit={onSubmit} />
        )}
      </section>
    </>
  );
}

function NewClassForm({
  fields,
  submitting,
  submitError,
  onSubmit,
}: {
  fields: RunnerConfigurationSchema_Field[];
  submitting: boolean;
  submitError: unknown;
  onSubmit: (c: NewClass) => Promise<Record<string, string>>;
}) {
  const [displayName, setDisplayName] = useState("");
  const [description, setDescription] = useState("");
  const [values, setValues] = useState<FieldValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<string | undefined>();
  const configErrors: FieldValues = {};
  for (const [k, v] of Object.entries(errors)) if (k.startsWith("config.")) configErrors[k.slice(7)] = v;
  const { fields: serverFields, notice } = formErrors(submitError);
  return (
    <form
      className="form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setCreated(undefined);
        const local = checkAll(fields, values);
        if (Object.keys(local).length > 0) {
          setErrors(Object.fromEntries(Object.entries(local).map(([k, v]) => [`config.${k}`, v])));
          return;
        }
        setErrors({});
        try {
          const answer = await onSubmit({
            displayName: displayName.trim(),
            description: description.trim(),
            configuration: toFieldValues(fields, values),
          });
          setErrors(answer);
          if (Object.keys(answer).length === 0) {
            setCreated(displayName.trim());
            setDisplayName("");
            setDescription("");
            setValues(initialValues(fields));
          }
        } catch {
          setErrors({});
        }
      }}
    >
      <TextField
        label="Display name"
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={errors.displayName ?? serverFields.displayName}
      />
      <TextField
        label="Description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errors.description ?? serverFields.description}
      />
      <SchemaForm fields={fields} values={values} errors={configErrors} onChange={setValues} />
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      {Object.keys(errors).length > 0 && (
        <p className="field-error" role="alert">
          Fix the fields marked above.
        </p>
      )}
      {notice ? <ErrorNotice error={submitError} action="add environment classes" /> : null}
      {created && (
        <p className="success" role="status">
          Environment class {created} created.
        </p>
      )}
      <button type="submit" disabled={submitting}>
        {submitting ? "Checking…" : "Check and create"}
      </button>
    </form>
  );
}
