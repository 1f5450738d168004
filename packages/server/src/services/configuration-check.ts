/**
 * Checks an environment class's configuration against the runner's schema (behaviour.md §5),
 * reporting every failing key. Pure; used by CreateEnvironmentClass, Signup and
 * ValidateRunnerConfiguration.
 */
import type { RunnerConfigurationSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";

export interface ConfigurationError {
  key: string;
  error: string;
}

export function checkConfiguration(
  schema: RunnerConfigurationSchema,
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
    const error = checkValue(field.type, value);
    if (error) errors.push({ key, error });
  }
  for (const field of schema.environmentClasses) {
    if (field.required && !seen.has(field.id)) errors.push({ key: field.id, error: "required but missing" });
  }
  return errors;
}

function checkValue(
  type: RunnerConfigurationSchema["environmentClasses"][number]["type"],
  value: string,
): string | undefined {
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
      const allowed = [...type.value.possibleValues.map((v) => v.title), ...type.value.values];
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
