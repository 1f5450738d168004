/**
 * Compiles the `(runnerplane.validate.v1.field)` options of a message type into a plan:
 * the fields that carry rules or lead to nested messages that do. Plans are built once
 * per message type and cached, so validating a request walks only what can fail.
 *
 * Oneofs marked `(runnerplane.validate.v1.oneof).required` are part of the plan too.
 *
 * A message marked `(runnerplane.validate.v1.message).disabled` compiles to an empty plan:
 * none of its rules, nor those of the messages inside it, are checked when a request
 * reaches it (ValidateRunnerConfigurationRequest, whose method reports the problems of the
 * configuration as its answer, behaviour.md §7).
 */
import { type DescField, type DescMessage, type DescOneof, getOption, hasOption } from "@bufbuild/protobuf";
import {
  type FieldRules,
  field as fieldRulesExt,
  message as messageRulesExt,
  oneof as oneofRulesExt,
} from "@runnerplane/api/runnerplane/validate/v1/validate_pb";

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
  /** Oneofs of which exactly one member must be set. */
  readonly requiredOneofs: DescOneof[];
}

const plans = new Map<string, MessagePlan>();
/** Plans of chosen fields (`fieldsPlanFor`), keyed by type name and field names. */
const fieldPlans = new Map<string, MessagePlan>();
/** Plans whose fields are still being compiled: a recursive type reached again through a cycle. */
const compiling = new Set<MessagePlan>();

export function planFor(desc: DescMessage): MessagePlan {
  const cached = plans.get(desc.typeName);
  if (cached) return cached;
  const plan: MessagePlan = { fields: [], requiredOneofs: [] };
  // Registered before the fields are compiled, so recursive types terminate.
  plans.set(desc.typeName, plan);
  if (isDisabled(desc)) return plan;
  compiling.add(plan);
  for (const oneof of desc.oneofs) {
    if (hasOption(oneof, oneofRulesExt) && getOption(oneof, oneofRulesExt).required) plan.requiredOneofs.push(oneof);
  }
  for (const field of desc.fields) {
    const entry = fieldPlanOf(field);
    if (entry) plan.fields.push(entry);
  }
  compiling.delete(plan);
  return plan;
}

/**
 * A plan of only the named top-level fields, whether or not the message's validation is
 * disabled: for a method that checks its input itself but still refuses what it cannot
 * answer about (ValidateRunnerConfiguration and a `runner_id` that is not a UUID). The
 * rules are those the .proto declares on the fields, so they are not written twice.
 */
export function fieldsPlanFor(desc: DescMessage, names: readonly string[]): MessagePlan {
  const key = `${desc.typeName}:${names.join(",")}`;
  const cached = fieldPlans.get(key);
  if (cached) return cached;
  const fields = names.map((name) => {
    const field = desc.fields.find((f) => f.name === name);
    if (!field) throw new Error(`${desc.typeName} has no field ${name}`);
    return fieldPlanOf(field);
  });
  const plan: MessagePlan = { fields: fields.filter((f) => f !== undefined), requiredOneofs: [] };
  fieldPlans.set(key, plan);
  return plan;
}

/** The plan of one field, or undefined when nothing about it can fail. */
function fieldPlanOf(field: DescField): FieldPlan | undefined {
  const rules = hasOption(field, fieldRulesExt) ? getOption(field, fieldRulesExt) : undefined;
  // Compiled now, so a pattern JavaScript cannot run fails when the plan is built.
  if (rules?.pattern !== undefined) patternOf(rules.pattern);
  if (rules?.items?.pattern !== undefined) patternOf(rules.items.pattern);
  const messageType = messageTypeOf(field);
  const nested = messageType && !isWellKnown(messageType) ? planFor(messageType) : undefined;
  // A plan still being compiled (this type, or one further up a cycle such as A -> B -> A)
  // has no fields yet but may get some: keep the edge to it.
  const hasNested =
    nested !== undefined && (nested.fields.length > 0 || nested.requiredOneofs.length > 0 || compiling.has(nested));
  if (!rules && !hasNested) return undefined;
  return { field, rules, enumNumbers: enumNumbersOf(field), nested: hasNested ? nested : undefined };
}

function isDisabled(desc: DescMessage): boolean {
  return hasOption(desc, messageRulesExt) && getOption(desc, messageRulesExt).disabled;
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

const patterns = new Map<string, RegExp>();

/**
 * The regular expression of a `pattern` rule. protovalidate runs RE2, which matches on code
 * points and unanchored; JavaScript's `u` flag does the former, and `test` the latter. The
 * patterns of the contract use only syntax both engines read alike.
 */
export function patternOf(pattern: string): RegExp {
  let compiled = patterns.get(pattern);
  if (!compiled) {
    try {
      compiled = new RegExp(pattern, "u");
    } catch (cause) {
      throw new Error(`pattern rule ${JSON.stringify(pattern)} is not a valid regular expression`, { cause });
    }
    patterns.set(pattern, compiled);
  }
  return compiled;
}
