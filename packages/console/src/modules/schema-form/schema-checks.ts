/**
 * The checks a runner's configuration schema states about each field, run in the browser before
 * anything is sent: required, integer range, string pattern, enum membership. The runner's own
 * verdict (ValidateRunnerConfiguration) still decides; this only saves a round trip.
 */
import type { RunnerConfigurationSchema_Field } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";

export type FieldValues = Record<string, string>;

/** The value a field starts with: the schema's default, as the text a control holds. */
export function defaultValue(field: RunnerConfigurationSchema_Field): string {
  switch (field.type.case) {
    case "string":
      return field.type.value.default;
    case "bool":
      return field.type.value.default ? "true" : "false";
    case "int":
      return String(field.type.value.default);
    case "enum":
      return field.type.value.defaultValue?.title ?? field.type.value.default;
    case "display":
      return field.type.value.default;
    default:
      return "";
  }
}

export function initialValues(fields: readonly RunnerConfigurationSchema_Field[], existing: FieldValues = {}) {
  const values: FieldValues = {};
  for (const f of fields) values[f.id] = existing[f.id] ?? defaultValue(f);
  return values;
}

export function checkField(field: RunnerConfigurationSchema_Field, raw: string | undefined): string | undefined {
  const value = (raw ?? "").trim();
  if (field.type.case === "display" || field.type.case === "bool") return undefined;
  if (value === "") return field.required ? `${field.name || field.id} is required` : undefined;
  switch (field.type.case) {
    case "int": {
      if (!/^-?\d+$/.test(value)) return "must be a whole number";
      const n = Number(value);
      const { min, max } = field.type.value;
      // A bound of 0 is proto3's "not set": no bound on that side (as the server reads it).
      const below = min !== 0 && n < min;
      const above = max !== 0 && n > max;
      if ((below || above) && min !== 0 && max !== 0) return `must be between ${min} and ${max}`;
      if (below) return `must be at least ${min}`;
      if (above) return `must be at most ${max}`;
      return undefined;
    }
    case "string": {
      const { pattern } = field.type.value;
      if (pattern && !safeTest(pattern, value)) return `must match ${pattern}`;
      return undefined;
    }
    case "enum": {
      const allowed = enumValues(field);
      return allowed.length > 0 && !allowed.includes(value) ? `must be one of ${allowed.join(", ")}` : undefined;
    }
    default:
      return undefined;
  }
}

export function checkAll(fields: readonly RunnerConfigurationSchema_Field[], values: FieldValues) {
  const errors: FieldValues = {};
  for (const f of fields) {
    const e = checkField(f, values[f.id]);
    if (e) errors[f.id] = e;
  }
  return errors;
}

export function enumValues(field: RunnerConfigurationSchema_Field): string[] {
  if (field.type.case !== "enum") return [];
  const e = field.type.value;
  return e.possibleValues.length > 0 ? e.possibleValues.map((v) => v.title) : e.values;
}

/** The values a request carries: every field but the display-only ones, empty optional ones left out. */
export function toFieldValues(fields: readonly RunnerConfigurationSchema_Field[], values: FieldValues) {
  return fields
    .filter((f) => f.type.case !== "display")
    .map((f) => ({ key: f.id, value: (values[f.id] ?? "").trim() }))
    .filter((v) => v.value !== "");
}

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, "u").test(value);
  } catch {
    // A pattern this browser cannot compile is the runner's to judge.
    return true;
  }
}
