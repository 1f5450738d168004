/**
 * Checks an environment class's configuration against the runner's schema (behaviour.md §5),
 * reporting every failing key. The one copy of these rules: the server runs it in
 * CreateEnvironmentClass, Signup and ValidateRunnerConfiguration; the console runs it before it
 * sends a form, so both give the same verdict for the same input (docs/configuration.md).
 *
 * Pure and environment-free (no Node, DOM or database): it imports only message types.
 */
import type {
  RunnerConfigurationSchema,
  RunnerConfigurationSchema_Field,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";

export interface ConfigurationError {
  key: string;
  error: string;
}

/** The part of a schema this check reads; a whole RunnerConfigurationSchema fits. */
export type EnvironmentClassSchema = Pick<RunnerConfigurationSchema, "environmentClasses">;

export function checkConfiguration(
  schema: EnvironmentClassSchema,
  configuration: readonly { key: string; value: string }[],
): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  const fields = new Map(schema.environmentClasses.map((f) => [f.id, f]));
  const seen = new Set<string>();
  for (const { key, value } of configuration) {
    const field = fields.get(key);
    if (!field) {
      errors.push({ key, error: `unknown key; the runner's schema knows ${[...fields.keys()].join(", ") || "none"}` });
      continue;
    }
    if (seen.has(key)) {
      errors.push({ key, error: "given more than once" });
      continue;
    }
    seen.add(key);
    const error = checkValue(field, value);
    if (error) errors.push({ key, error });
  }
  for (const field of schema.environmentClasses) {
    if (field.required && !seen.has(field.id)) errors.push({ key: field.id, error: "required but missing" });
  }
  return errors;
}

/**
 * The values an enum field accepts: its possible values' titles, then the deprecated `values`
 * list (older runners fill only that one).
 */
export function allowedEnumValues(field: RunnerConfigurationSchema_Field): string[] {
  if (field.type.case !== "enum") return [];
  const { possibleValues, values } = field.type.value;
  return [...possibleValues.map((v) => v.title), ...values];
}

/** Why one value does not fit its field, or `undefined` when it does. */
export function checkValue(field: RunnerConfigurationSchema_Field, value: string): string | undefined {
  const type = field.type;
  switch (type.case) {
    case "int": {
      if (!/^-?\d+$/.test(value)) return `must be an integer, got "${value}"`;
      const n = Number(value);
      // The schema's int fields are int32; a bound of 0 means "no bound on that side".
      if (n < -2_147_483_648 || n > 2_147_483_647) return `must fit in a 32-bit integer, got ${value}`;
      const { min, max } = type.value;
      const below = min !== 0 && n < min;
      const above = max !== 0 && n > max;
      if ((below || above) && min !== 0 && max !== 0) return `must be between ${min} and ${max}, got ${n}`;
      if (below) return `must be at least ${min}, got ${n}`;
      if (above) return `must be at most ${max}, got ${n}`;
      return undefined;
    }
    case "bool":
      return value === "true" || value === "false" ? undefined : `must be true or false, got "${value}"`;
    case "enum": {
      const allowed = allowedEnumValues(field);
      return allowed.includes(value) ? undefined : `must be one of ${allowed.join(", ")}, got "${value}"`;
    }
    case "string": {
      const pattern = type.value.pattern;
      if (!pattern) return undefined;
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${pattern})$`);
      } catch {
        return "the runner's schema has an invalid pattern for this key";
      }
      return re.test(value) ? undefined : `must match ${pattern}`;
    }
    case "display":
      return "is for display only and takes no value";
    default:
      return undefined;
  }
}
