/**
 * Checks a decoded request against the field rules declared in the .proto files
 * (see proto/runnerplane/validate/v1/validate.proto for their meaning). Semantics follow
 * protovalidate's standard rules:
 * - rules on a field with explicit presence (`optional`, messages, oneof members) apply
 *   only when the field is set; on implicit-presence scalars they apply to the zero
 *   value too, unless `ignore_empty` is set;
 * - nested messages are validated wherever they occur (singular, list items, map values);
 * - a required oneof needs one of its members set, whichever.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { FieldRules } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { type FieldPlan, fieldsPlanFor, type MessagePlan, patternOf, planFor } from "./rules.js";

export interface Violation {
  /** Field path in proto names: `filter.creator_ids[0]`. */
  field: string;
  /** Rule id: `string.uuid`, `repeated.max_items`, `required`, … */
  rule: string;
  message: string;
}

type AnyMessage = Record<string, unknown>;

export function validateMessage(desc: DescMessage, message: object): Violation[] {
  const out: Violation[] = [];
  checkMessage(planFor(desc), message as AnyMessage, "", out);
  return out;
}

/**
 * Checks only the named top-level fields (and what is nested in them) against their
 * declared rules, even in a message whose validation is disabled (rules.ts).
 */
export function validateFields(desc: DescMessage, message: object, names: readonly string[]): Violation[] {
  const out: Violation[] = [];
  checkMessage(fieldsPlanFor(desc, names), message as AnyMessage, "", out);
  return out;
}

function checkMessage(plan: MessagePlan, message: AnyMessage, prefix: string, out: Violation[]): void {
  for (const oneof of plan.requiredOneofs) {
    if ((message[oneof.localName] as { case?: string }).case === undefined) {
      out.push({ field: prefix + oneof.name, rule: "required", message: "exactly one field is required in oneof" });
    }
  }
  for (const entry of plan.fields) {
    const { field, rules } = entry;
    const path = prefix + field.name;
    const { set, value } = read(message, field);
    if (rules?.required && !isPresent(field, set, value)) {
      out.push({ field: path, rule: "required", message: "value is required" });
      continue;
    }
    if (!set) continue;
    if (rules?.ignoreEmpty && isZero(value)) continue;
    switch (field.fieldKind) {
      case "scalar":
      case "enum":
        if (rules) checkValue(rules, entry, field, value, path, out);
        break;
      case "message":
        if (rules) checkDuration(rules, value as AnyMessage, path, out);
        if (entry.nested) checkMessage(entry.nested, value as AnyMessage, `${path}.`, out);
        break;
      case "list":
        checkList(entry, value as unknown[], path, out);
        break;
      case "map":
        if (entry.nested) {
          for (const [key, item] of Object.entries(value as Record<string, AnyMessage>)) {
            checkMessage(entry.nested, item, `${path}[${JSON.stringify(key)}].`, out);
          }
        }
        break;
    }
  }
}

function checkList(entry: FieldPlan, items: unknown[], path: string, out: Violation[]): void {
  const rules = entry.rules;
  if (rules?.minItems !== undefined && items.length < rules.minItems) {
    out.push({
      field: path,
      rule: "repeated.min_items",
      message: `value must contain at least ${rules.minItems} item(s)`,
    });
  }
  if (rules?.maxItems !== undefined && items.length > rules.maxItems) {
    out.push({
      field: path,
      rule: "repeated.max_items",
      message: `value must contain no more than ${rules.maxItems} item(s)`,
    });
  }
  if (rules?.unique && !areUnique(items)) {
    out.push({ field: path, rule: "repeated.unique", message: "repeated value must contain unique items" });
  }
  items.forEach((item, i) => {
    const itemPath = `${path}[${i}]`;
    if (entry.nested) checkMessage(entry.nested, item as AnyMessage, `${itemPath}.`, out);
    else if (rules?.items && !(rules.items.ignoreEmpty && isZero(item))) {
      checkValue(rules.items, entry, entry.field, item, itemPath, out);
    }
  });
}

function checkValue(
  rules: FieldRules,
  entry: FieldPlan,
  field: DescField,
  value: unknown,
  path: string,
  out: Violation[],
): void {
  const add = (rule: string, message: string) => out.push({ field: path, rule, message });
  if (typeof value === "string") {
    const length = codePoints(value);
    if (rules.minLen !== undefined && length < rules.minLen) {
      add("string.min_len", `value length must be at least ${rules.minLen} characters`);
    }
    if (rules.maxLen !== undefined && length > rules.maxLen) {
      add("string.max_len", `value length must be at most ${rules.maxLen} characters`);
    }
    if (rules.uuid && !uuidPattern.test(value)) add("string.uuid", "value must be a valid UUID");
    if (rules.uri && !isUri(value)) add("string.uri", "value must be a valid absolute URI");
    if (rules.pattern !== undefined && !patternOf(rules.pattern).test(value)) {
      add("string.pattern", `value does not match regex pattern \`${rules.pattern}\``);
    }
    return;
  }
  if (value instanceof Uint8Array) {
    if (rules.len !== undefined && value.length !== rules.len) {
      add("bytes.len", `value length must be ${rules.len} bytes`);
    }
    return;
  }
  if (typeof value === "number" || typeof value === "bigint") {
    if (entry.enumNumbers) {
      if (rules.definedOnly && !entry.enumNumbers.has(Number(value))) {
        add("enum.defined_only", "value must be one of the defined enum values");
      }
      if (isIn(rules.notIn, value)) add("enum.not_in", `value must not be in list [${rules.notIn.join(", ")}]`);
      return;
    }
    const type = scalarName(field);
    if (isIn(rules.notIn, value)) add(`${type}.not_in`, `value must not be in list [${rules.notIn.join(", ")}]`);
    if (rules.gte !== undefined && value < rules.gte) {
      add(`${type}.gte`, `value must be greater than or equal to ${rules.gte}`);
    }
    if (rules.lte !== undefined && value > rules.lte) {
      add(`${type}.lte`, `value must be less than or equal to ${rules.lte}`);
    }
  }
}

/** `duration_gte` / `duration_lte` on a google.protobuf.Duration field that is set. */
function checkDuration(rules: FieldRules, value: AnyMessage, path: string, out: Violation[]): void {
  if (value.$typeName !== "google.protobuf.Duration") return;
  const duration = value as unknown as Duration;
  if (rules.durationGte && compareDurations(duration, rules.durationGte) < 0) {
    out.push({
      field: path,
      rule: "duration.gte",
      message: `value must be greater than or equal to ${formatDuration(rules.durationGte)}`,
    });
  }
  if (rules.durationLte && compareDurations(duration, rules.durationLte) > 0) {
    out.push({
      field: path,
      rule: "duration.lte",
      message: `value must be less than or equal to ${formatDuration(rules.durationLte)}`,
    });
  }
}

function compareDurations(a: Duration, b: Duration): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return Math.sign(a.nanos - b.nanos);
}

/** As protovalidate writes durations in its messages: seconds, with a fraction if any ("1.5s"). */
function formatDuration(d: Duration): string {
  const negative = d.seconds < 0n || d.nanos < 0;
  const seconds = d.seconds < 0n ? -d.seconds : d.seconds;
  const nanos = Math.abs(d.nanos);
  const fraction = nanos === 0 ? "" : `.${String(nanos).padStart(9, "0").replace(/0+$/, "")}`;
  return `${negative ? "-" : ""}${seconds}${fraction}s`;
}

function isIn(list: readonly bigint[], value: number | bigint): boolean {
  return list.length > 0 && Number.isInteger(Number(value)) && list.includes(BigInt(value));
}

/** Scalars and enums compare by value; bytes by content. */
function areUnique(items: readonly unknown[]): boolean {
  const seen = new Set(
    items.map((item) => (item instanceof Uint8Array ? `bytes:${Buffer.from(item).toString("hex")}` : item)),
  );
  return seen.size === items.length;
}

function read(message: AnyMessage, field: DescField): { set: boolean; value: unknown } {
  if (field.oneof) {
    const group = message[field.oneof.localName] as { case?: string; value?: unknown };
    return group.case === field.localName ? { set: true, value: group.value } : { set: false, value: undefined };
  }
  const value = message[field.localName];
  return { set: value !== undefined, value };
}

function isPresent(field: DescField, set: boolean, value: unknown): boolean {
  if (!set) return false;
  if (field.fieldKind === "list") return (value as unknown[]).length > 0;
  if (field.fieldKind === "map") return Object.keys(value as object).length > 0;
  if (field.fieldKind === "message" || field.oneof) return true;
  return !isZero(value);
}

function isZero(value: unknown): boolean {
  // A repeated field's zero value is the empty list (reached only through ignore_empty).
  if (Array.isArray(value)) return value.length === 0;
  if (value === undefined || value === "" || value === 0 || value === 0n || value === false) return true;
  return value instanceof Uint8Array && value.length === 0;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function scalarName(field: DescField): string {
  const scalar = field.fieldKind === "scalar" || field.fieldKind === "list" ? field.scalar : undefined;
  return scalar === undefined ? "int" : ScalarType[scalar].toLowerCase();
}

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The `string.uuid` rule, for ids that arrive where the contract declares no rule. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/**
 * An absolute URI per RFC 3986: a scheme, then only characters the RFC allows (unreserved,
 * reserved, and well-formed %-escapes), and parseable by the WHATWG URL parser. Non-ASCII
 * must be percent-encoded, as browsers do when they copy a link.
 */
function isUri(value: string): boolean {
  return uriPattern.test(value) && URL.canParse(value);
}

const uriPattern = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
