/** The fields a runner's configuration schema lists, as a form section (values and errors keyed by field id). */
import type { RunnerConfigurationSchema_Field } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { SchemaField } from "./SchemaField";
import type { FieldValues } from "./schema-checks";

export function SchemaForm({
  fields,
  values,
  errors,
  onChange,
}: {
  fields: readonly RunnerConfigurationSchema_Field[];
  values: FieldValues;
  errors: FieldValues;
  onChange: (values: FieldValues) => void;
}) {
  if (fields.length === 0) return <p className="muted">This runner asks for no configuration.</p>;
  return (
    <fieldset className="schema-form">
      <legend>Configuration</legend>
      {fields.map((f) => (
        <SchemaField
          key={f.id}
          field={f}
          value={values[f.id] ?? ""}
          error={errors[f.id]}
          onChange={(v) => onChange({ ...values, [f.id]: v })}
        />
      ))}
    </fieldset>
  );
}
