/** One control per schema field kind, each with its own id and a <label for>; an unknown kind is shown, not hidden. */
import type { RunnerConfigurationSchema_Field } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { useId } from "react";
import { enumValues } from "./schema-checks";

export function SchemaField({
  field,
  value,
  error,
  onChange,
}: {
  field: RunnerConfigurationSchema_Field;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const id = `${useId()}-${field.id}`;
  const label = field.name || field.id;
  const describedBy = [field.description ? `${id}-desc` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const common = {
    id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy || undefined,
    "aria-required": field.required || undefined,
  };
  let control: React.ReactNode;
  switch (field.type.case) {
    case "string":
      control = (
        <input
          {...common}
          type={field.secret ? "password" : "text"}
          autoComplete="off"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "int":
      control = (
        <input
          {...common}
          type="number"
          inputMode="numeric"
          step={1}
          {...(field.type.value.min !== 0 ? { min: field.type.value.min } : {})}
          {...(field.type.value.max !== 0 ? { max: field.type.value.max } : {})}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "bool":
      control = (
        <input
          {...common}
          type="checkbox"
          checked={value === "true"}
          onChange={(e) => onChange(e.target.checked ? "true" : "false")}
        />
      );
      break;
    case "enum":
      control = (
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          {!field.required && <option value="">—</option>}
          {enumValues(field).map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      );
      break;
    case "display":
      control = <output id={id}>{value}</output>;
      break;
    default:
      control = (
        <p id={id} className="field-error">
          This runner asks for a kind of value this console does not know; it cannot be set here.
        </p>
      );
  }
  return (
    <div className={field.type.case === "bool" ? "field field-check" : "field"}>
      <label htmlFor={id}>
        {label}
        {field.required && <span aria-hidden="true"> *</span>}
      </label>
      {control}
      {field.description && (
        <p className="hint" id={`${id}-desc`}>
          {field.description}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
