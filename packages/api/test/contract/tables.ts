/**
 * Reads the tables of a wire contract (the notation of the specification's
 * `wire-contract*.md`): the services, enums and messages of each section, and the rules
 * column's protovalidate notation, turned into the JSON of our
 * `runnerplane.validate.v1.FieldRules` so a test can compare it with the descriptors.
 */

export interface ContractField {
  number: number;
  name: string;
  /** As the contract writes it: `string`, `User`, `google.protobuf.Timestamp`, `map<string, string>`. */
  type: string;
  label: "" | "optional" | "repeated";
  oneof: string | undefined;
  deprecated: boolean;
  /** The rules in our FieldRules JSON form; undefined when the field has none. */
  rules: Record<string, unknown> | undefined;
}

export interface ContractValue {
  name: string;
  number: number;
  deprecated: boolean;
}

export interface ContractMethod {
  name: string;
  /** Marked `(optional)`: need not be served yet, but is declared. */
  optional: boolean;
  request: string;
  response: string;
  noSideEffects: boolean;
}

interface Common {
  /** Type name without the package, as in the heading: `ListMembersRequest.Filter`. */
  name: string;
  /** The section (`## gitpod/v1/user.proto`) the type is listed under. */
  section: string;
  /** "see wire-contract.md": listed in full in the other contract, not here. */
  elsewhere: boolean;
}

export type ContractType =
  | (Common & { kind: "message"; fields: ContractField[]; reserved: Reserved; requiredOneofs: string[] })
  | (Common & { kind: "enum"; values: ContractValue[]; reserved: Reserved })
  | (Common & { kind: "service"; methods: ContractMethod[] });

export interface Reserved {
  numbers: number[];
  names: string[];
}

const heading = /^\*\*(message|enum|service) ([A-Za-z0-9_.]+)\*\*(.*)$/;

/** Every service, enum and message the contract lists, in order. */
export function parseContract(markdown: string): ContractType[] {
  const types: ContractType[] = [];
  let section = "";
  let block: { kind: string; name: string; elsewhere: boolean; lines: string[] } | undefined;
  const flush = () => {
    if (block) types.push(toType(block.kind, block.name, section, block.elsewhere, block.lines));
    block = undefined;
  };
  for (const line of markdown.split("\n")) {
    if (line.startsWith("## ")) {
      flush();
      section = line.slice(3).trim();
      continue;
    }
    const start = heading.exec(line);
    if (start) {
      flush();
      const [, kind = "", fullName = "", rest = ""] = start;
      const name = kind === "service" ? fullName.replace(/^gitpod\.v1\./, "") : fullName;
      block = { kind, name, elsewhere: /see wire-contract\.md/.test(rest), lines: [] };
      continue;
    }
    block?.lines.push(line);
  }
  flush();
  return types;
}

function toType(kind: string, name: string, section: string, elsewhere: boolean, lines: string[]): ContractType {
  const rows = tableRows(lines);
  const reserved = reservedOf(lines);
  switch (kind) {
    case "message":
      return {
        kind,
        name,
        section,
        elsewhere,
        fields: rows.map(fieldOf),
        reserved,
        requiredOneofs: lines.flatMap((l) => /^oneof (\w+): \{required:true\}$/.exec(l.trim())?.slice(1) ?? []),
      };
    case "enum":
      return {
        kind,
        name,
        section,
        elsewhere,
        values: rows.map(([value = "", number = "", note = ""]) => ({
          name: value,
          number: Number(number),
          deprecated: note.split(";").some((n) => n.trim() === "deprecated"),
        })),
        reserved,
      };
    default:
      return {
        kind: "service",
        name,
        section,
        elsewhere,
        methods: rows.map(([rpc = "", request = "", response = "", effects = ""]) => ({
          name: rpc.replace(/\s*\(optional\)$/, ""),
          optional: rpc.endsWith("(optional)"),
          request,
          response,
          noSideEffects: effects === "NO_SIDE_EFFECTS",
        })),
      };
  }
}

/** The body rows of the block's table: cells trimmed, header and separator left out. */
function tableRows(lines: string[]): string[][] {
  const table = lines.filter((l) => l.startsWith("|"));
  return table.slice(2).map((row) =>
    row
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim()),
  );
}

function reservedOf(lines: string[]): Reserved {
  const line = lines.find((l) => l.startsWith("reserved:"));
  const items = line
    ? line
        .slice("reserved:".length)
        .split(",")
        .map((s) => s.trim())
    : [];
  return {
    numbers: items.filter((i) => /^\d+$/.test(i)).map(Number),
    names: items.filter((i) => !/^\d+$/.test(i)),
  };
}

function fieldOf([number = "", name = "", type = "", label = "", notes = ""]: string[]): ContractField {
  // Notes are `;`-separated: `oneof NAME`, `deprecated`, a rule object `{…}`, or prose.
  const parts = notes.split(/;\s*/).map((p) => p.trim());
  const rule = parts.find((p) => p.startsWith("{"));
  return {
    number: Number(number),
    name,
    type,
    label: label as ContractField["label"],
    oneof: parts.flatMap((p) => /^oneof (\w+)$/.exec(p)?.slice(1) ?? [])[0],
    deprecated: parts.includes("deprecated"),
    rules: rule === undefined ? undefined : fieldRulesJson(parseNotation(rule) as Notation),
  };
}

type Notation = { [key: string]: NotationValue };
type NotationValue = string | number | boolean | NotationValue[] | Notation;

/**
 * Parses `{string:{uuid:true},required:true}`: keys and values unquoted. A scalar runs to the
 * next `,`, `}` or `]` outside brackets, so a pattern such as `[a-z]{0,61}` stays whole.
 */
export function parseNotation(text: string): NotationValue {
  let at = 0;
  const value = (): NotationValue => {
    if (text[at] === "{") {
      at++;
      const object: Notation = {};
      while (text[at] !== "}") {
        const colon = text.indexOf(":", at);
        const key = text.slice(at, colon);
        at = colon + 1;
        object[key] = value();
        if (text[at] === ",") at++;
      }
      at++;
      return object;
    }
    if (text[at] === "[") {
      at++;
      const list: NotationValue[] = [];
      while (text[at] !== "]") {
        list.push(value());
        if (text[at] === ",") at++;
      }
      at++;
      return list;
    }
    const start = at;
    let depth = 0;
    while (at < text.length) {
      const c = text[at] as string;
      if (depth === 0 && (c === "," || c === "}" || c === "]")) break;
      if ("([{".includes(c)) depth++;
      if (")]}".includes(c)) depth--;
      at++;
    }
    const raw = text.slice(start, at);
    if (raw === "true" || raw === "false") return raw === "true";
    return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  };
  const result = value();
  if (at !== text.length) throw new Error(`unparsed rule text after ${at}: ${text}`);
  return result;
}

/**
 * protovalidate's rules in our FieldRules JSON (proto3 JSON of
 * runnerplane.validate.v1.FieldRules): one flat object, int64 bounds as strings, durations
 * as `"7776000s"`. Throws on a rule we have no counterpart for, so a new one cannot slip by.
 */
export function fieldRulesJson(rules: Notation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [kind, value] of Object.entries(rules)) {
    if (kind === "required") out.required = value;
    else if (kind === "ignore" && value === "skip-if-empty") out.ignoreEmpty = true;
    else if (typeof value === "object" && !Array.isArray(value)) Object.assign(out, typedRules(kind, value));
    else throw new Error(`no counterpart for the rule ${kind}:${JSON.stringify(value)}`);
  }
  return out;
}

function typedRules(kind: string, rules: Notation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rules)) {
    const key = `${kind}.${name}`;
    if (["string.uuid", "string.uri", "enum.definedOnly", "repeated.unique"].includes(key)) out[name] = value;
    else if (["string.minLen", "string.maxLen", "bytes.len", "repeated.minItems", "repeated.maxItems"].includes(key))
      out[name] = value;
    // The contract escapes backslashes as the .proto source does: `\\.` is the regex `\.`.
    else if (key === "string.pattern") out.pattern = String(value).replaceAll("\\\\", "\\");
    else if (/^u?int(32|64)\.(gte|lte)$/.test(key)) out[name] = String(value);
    else if (key === "duration.gte") out.durationGte = value;
    else if (key === "duration.lte") out.durationLte = value;
    else if (key === "enum.notIn") out.notIn = (value as number[]).map(String);
    else if (key === "repeated.items") out.items = fieldRulesJson(value as Notation);
    else throw new Error(`no counterpart for the rule ${key}`);
  }
  return out;
}
