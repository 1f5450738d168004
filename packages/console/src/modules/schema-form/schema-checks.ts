/**
 * The form side of a runner's configuration schema: the values controls start with, the
 * configuration a form sends, and the check run before sending — the server's own
 * `checkConfiguration` (@runnerplane/configuration-check) over exactly what would be sent, so the
 * console and CreateEnvironmentClass / ValidateRunnerConfiguration give the same verdict. The
 * runner's own answer (ValidateRunnerConfiguration) still decides; this only saves a round trip.
 */
import type { RunnerConfigurationSchema_Field } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { allowedEnumValues, checkConfiguration } from "@runnerplane/configuration-check";

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

/** Errors keyed by field id for the configuration these values would send (none: it may be sent). */
export function checkAll(fields: readonly RunnerConfigurationSchema_Field[], values: FieldValues): FieldValues {
  const errors: FieldValues = {};
  for (const e of checkConfiguration({ environmentClasses: [...fields] }, toFieldValues(fields, values))) {
    errors[e.key] ??= e.error;
  }
  return errors;
}

/** The choices an enum control offers: every value the check accepts, once each. */
export function enumValues(field: RunnerConfigurationSchema_Field): string[] {
  return [...new Set(allowedEnumValues(field))];
}

/**
 * The values a request carries: every field but the display-only ones, trimmed, empty ones left
 * out (an empty required field is then "required but missing", as the server says).
 */
export function toFieldValues(fields: readonly RunnerConfigurationSchema_Field[], values: FieldValues) {
  return fields
    .filter((f) => f.type.case !== "display")
    .map((f) => ({ key: f.id, value: (values[f.id] ?? "").trim() }))
    .filter((v) => v.value !== "");
}
