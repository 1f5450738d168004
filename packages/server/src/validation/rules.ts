/**
 * Compiles the `(runnerplane.validate.v1.field)` options of a message type into a plan:
 * the fields that carry rules or lead to nested messages that do. Plans are built once
 * per message type and cached, so validating a request walks only what can fail.
 */
import { type DescField, type DescMessage, getOption, hasOption } from "@bufbuild/protobuf";
import { type FieldRules, field as fieldRulesExt } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";

export interface FieldPlan {
  readonly field: DescField;
  readonly rules: FieldRules | undefined;
  /** Declared enum numbers, for `defined_only` on enum fields and enum lists. */
  readonly enumNumbers: ReadonlySet<number> | undefined;
  /** Plan of the field's message type (singular, list item or map value), if it has one. */
  readonly nested: MessagePlan | undefined;
}

export interface MessagePlan {
  readonly fields: FieldPlan[];
}

const plans = new Map<string, MessagePlan>();

/**
 * Message fields whose contents are the subject of the method rather than its input: their
 * rules are reported by the method as results (ValidateRunnerConfiguration answers
 * `valid = false` with the reasons), so the interceptor does not descend into them.
 */
const resultFields = new Set(["gitpod.v1.ValidateRunnerConfigurationRequest.environment_class"]);
/** Plans whose fields are still being compiled: a recursive type reached again through a cycle. */
const compiling = new Set<MessagePlan>();

export function planFor(desc: DescMessage): MessagePlan {
  const cached = plans.get(desc.typeName);
  if (cached) return cached;
  const plan: MessagePlan = { fields: [] };
  // Registered before the fields are compiled, so recursive types terminate.
  plans.set(desc.typeName, plan);
  compiling.add(plan);
  for (const field of desc.fields) {
    const rules = hasOption(field, fieldRulesExt) ? getOption(field, fieldRulesExt) : undefined;
    const messageType = messageTypeOf(field);
    const nested =
      messageType && !isWellKnown(messageType) && !resultFields.has(`${desc.typeName}.${field.name}`)
        ? planFor(messageType)
        : undefined;
    // A plan still being compiled (this type, or one further up a cycle such as A -> B -> A)
    // has no fields yet but may get some: keep the edge to it.
    const hasNested = nested !== undefined && (nested.fields.length > 0 || compiling.has(nested));
    if (!rules && !hasNested) continue;
    plan.fields.push({
      field,
      rules,
      enumNumbers: enumNumbersOf(field),
      nested: hasNested ? nested : undefined,
    });
  }
  compiling.delete(plan);
  return plan;
}

function messageTypeOf(field: DescField): DescMessage | undefined {
  switch (field.fieldKind) {
    case "message":
      return field.message;
    case "list":
      return field.listKind === "message" ? field.message : undefined;
    case "map":
      return field.mapKind === "message" ? field.message : undefined;
    default:
      return undefined;
  }
}

function enumNumbersOf(field: DescField): ReadonlySet<number> | undefined {
  const e =
    field.fieldKind === "enum"
      ? field.enum
      : field.fieldKind === "list" && field.listKind === "enum"
        ? field.enum
        : undefined;
  return e ? new Set(e.values.map((v) => v.number)) : undefined;
}

function isWellKnown(desc: DescMessage): boolean {
  return desc.typeName.startsWith("google.protobuf.");
}
