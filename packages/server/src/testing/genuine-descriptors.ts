/**
 * Service descriptors built from the wire contract's tables alone (`wire-contract-admin.md`,
 * the genuine gitpod.v1 descriptors of the official TypeScript SDK, transcribed), never from
 * this repository's .proto files. A client made from them is what a Gitpod/Ona client is on
 * the wire: it knows the contract's field numbers, names, types and labels, nothing else, so
 * a round trip through it over the real server proves the two agree (binary by number, JSON
 * by name).
 *
 * The tables are read from the contract's committed copy in the api package
 * (packages/api/test/contract). The api package's own reader there (tables.ts) is test code
 * outside this package's sources, and it reads the validation rules too; what is needed here
 * is only a table's structure, so these few lines read just that. The four types the admin
 * contract lists as "see wire-contract.md" are given below in the first contract's words, and
 * so is what it lists only in part: the admin contract's runner_interaction.proto section names
 * just the runner-facing LLM calls and the LLM member of WatchRequestsResponse, and the first
 * contract adds the stream (WatchRequests, its request, the response's envelope). The other
 * members of WatchRequestsResponse's oneof are left out, so a client made from these
 * descriptors keeps them as unknown fields.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { create, createFileRegistry, type DescField, type DescService, type FileRegistry } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  type EnumDescriptorProto,
  EnumDescriptorProtoSchema,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_duration,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  MethodDescriptorProtoSchema,
  MethodOptions_IdempotencyLevel,
  OneofDescriptorProtoSchema,
  ServiceDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

const contractPath = fileURLToPath(new URL("../../../api/test/contract/wire-contract-admin.md.txt", import.meta.url));

/** From wire-contract.md, identical there and in the genuine descriptors. */
const firstContract = `
## gitpod/v1/identity.proto

**enum Principal**

| value | number | note |
|---|---|---|
| PRINCIPAL_UNSPECIFIED | 0 |  |
| PRINCIPAL_ACCOUNT | 1 |  |
| PRINCIPAL_USER | 2 |  |
| PRINCIPAL_RUNNER | 3 |  |
| PRINCIPAL_ENVIRONMENT | 4 |  |
| PRINCIPAL_SERVICE_ACCOUNT | 5 |  |
| PRINCIPAL_RUNNER_MANAGER | 6 |  |

**message Subject**

| # | field | type | label | rules / notes |
|---|---|---|---|---|
| 1 | id | string |  |  |
| 2 | principal | Principal |  |  |

**message PaginationRequest**

| # | field | type | label | rules / notes |
|---|---|---|---|---|
| 1 | page_size | int32 |  |  |
| 2 | token | string |  |  |

**message PaginationResponse**

| # | field | type | label | rules / notes |
|---|---|---|---|---|
| 1 | next_token | string |  |  |

## gitpod/v1/runner_interaction.proto (the stream only)

**service gitpod.v1.RunnerInteractionService**

| rpc | request | response | side effects |
|---|---|---|---|
| WatchRequests | WatchRequestsRequest | stream WatchRequestsResponse |  |

**message WatchRequestsRequest**

| # | field | type | label | rules / notes |
|---|---|---|---|---|
| 1 | runner_id | string |  | {string:{uuid:true}} |
| 2 | shard_ids | int32 | repeated | {repeated:{items:{int32:{lte:63,gte:0}}}} |
| 3 | worker_id | string |  |  |

**message WatchRequestsResponse**

| # | field | type | label | rules / notes |
|---|---|---|---|---|
| 1 | request_id | string |  | {string:{uuid:true}} |
| 2 | trace_context | map<string, string> |  |  |
`;

/**
 * The types the first contract completes (see above): the genuine descriptors hold more of
 * them than these tables, so a comparison with ours can only ask that what they hold agrees.
 */
export const partialTypes: ReadonlySet<string> = new Set(["gitpod.v1.WatchRequestsResponse"]);

interface Block {
  kind: "message" | "enum" | "service";
  /** Without the package: `ListMembersRequest.Filter`. */
  name: string;
  rows: string[][];
}

/** Every listed type of a contract's text, with its table rows (cells trimmed). */
function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  let current: Block | undefined;
  for (const line of markdown.split("\n")) {
    const heading = /^\*\*(message|enum|service) ([A-Za-z0-9_.]+)\*\*(.*)$/.exec(line);
    if (heading) {
      const [, kind, name = "", rest = ""] = heading;
      current = /see wire-contract\.md/.test(rest)
        ? undefined
        : { kind: kind as Block["kind"], name: name.replace(/^gitpod\.v1\./, ""), rows: [] };
      if (current) found.push(current);
    } else if (current && line.startsWith("|") && !/^\|[-| ]+\|$/.test(line)) {
      current.rows.push(
        line
          .slice(1, -1)
          .split("|")
          .map((c) => c.trim()),
      );
    }
  }
  // Each table's first row is its header.
  for (const b of found) b.rows.shift();
  return found;
}

const scalars: Record<string, FieldDescriptorProto_Type> = {
  string: FieldDescriptorProto_Type.STRING,
  bool: FieldDescriptorProto_Type.BOOL,
  int32: FieldDescriptorProto_Type.INT32,
  int64: FieldDescriptorProto_Type.INT64,
  uint32: FieldDescriptorProto_Type.UINT32,
  uint64: FieldDescriptorProto_Type.UINT64,
  double: FieldDescriptorProto_Type.DOUBLE,
  float: FieldDescriptorProto_Type.FLOAT,
  bytes: FieldDescriptorProto_Type.BYTES,
};

const wellKnown: Record<string, string> = {
  "google.protobuf.Timestamp": file_google_protobuf_timestamp.proto.name,
  "google.protobuf.Duration": file_google_protobuf_duration.proto.name,
  "google.protobuf.Struct": file_google_protobuf_struct.proto.name,
  "google.protobuf.Value": file_google_protobuf_struct.proto.name,
};

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const pascal = (name: string) => camel(name).replace(/^./, (c) => c.toUpperCase());

/**
 * A registry holding the named services of the contract and every type they reach (and
 * nothing else of it), in one file of package gitpod.v1.
 */
export function genuineRegistry(serviceNames: string[]): FileRegistry {
  const all = new Map<string, Block>();
  for (const block of [...blocks(readFileSync(contractPath, "utf8")), ...blocks(firstContract)]) {
    const listed = all.get(block.name);
    if (!listed) {
      all.set(block.name, block);
      continue;
    }
    // Listed in both contracts, in part in each: one type, its rows together, fields in
    // number order (as the genuine file declares them).
    listed.rows.push(...block.rows);
    if (listed.kind === "message") listed.rows.sort((a, b) => Number(a[0]) - Number(b[0]));
  }
  const streamed = /^stream /;
  const wanted = new Set<string>();
  const dependencies = new Set<string>();
  const reach = (name: string) => {
    if (wanted.has(name)) return;
    const block = all.get(name);
    if (!block) throw new Error(`the contract lists no type ${name}`);
    wanted.add(name);
    const parent = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : undefined;
    if (parent) reach(parent);
    if (block.kind === "service") {
      for (const [, request = "", response = ""] of block.rows) {
        reach(request);
        reach(response.replace(streamed, ""));
      }
    }
    if (block.kind === "message") {
      for (const [, , type = ""] of block.rows) {
        const map = /^map<(\w+), ?([\w.]+)>$/.exec(type);
        const valueType = map ? (map[2] as string) : type;
        if (wellKnown[valueType]) dependencies.add(wellKnown[valueType]);
        else if (!scalars[valueType]) reach(valueType);
      }
    }
  };
  for (const name of serviceNames) reach(name);

  const messages = new Map<string, DescriptorProto>();
  const enums = new Map<string, EnumDescriptorProto>();
  const typeRef = (type: string) => (wellKnown[type] ? `.${type}` : `.gitpod.v1.${type}`);
  const fieldOf = (row: string[], message: DescriptorProto): FieldDescriptorProto => {
    const [number = "", name = "", type = "", label = "", notes = ""] = row;
    const oneof = /(?:^|; )oneof (\w+)/.exec(notes)?.[1];
    const map = /^map<(\w+), ?([\w.]+)>$/.exec(type);
    const field = create(FieldDescriptorProtoSchema, {
      name,
      number: Number(number),
      jsonName: camel(name),
      label: label === "repeated" || map ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
    });
    if (map) {
      const entry = create(DescriptorProtoSchema, {
        name: `${pascal(name)}Entry`,
        options: { mapEntry: true },
        field: [
          fieldOf(["1", "key", map[1] as string, "", ""], message),
          fieldOf(["2", "value", map[2] as string, "", ""], message),
        ],
      });
      message.nestedType.push(entry);
      field.type = FieldDescriptorProto_Type.MESSAGE;
      field.typeName = `.gitpod.v1.${messageName(message)}.${entry.name}`;
    } else if (scalars[type] !== undefined) {
      field.type = scalars[type];
    } else {
      field.type = all.get(type)?.kind === "enum" ? FieldDescriptorProto_Type.ENUM : FieldDescriptorProto_Type.MESSAGE;
      field.typeName = typeRef(type);
    }
    if (oneof) oneofOf.set(field, oneof);
    if (label === "optional") {
      field.proto3Optional = true;
      oneofOf.set(field, `_${name}`);
    }
    return field;
  };
  const names = new WeakMap<DescriptorProto, string>();
  const messageName = (m: DescriptorProto) => names.get(m) as string;
  /** The oneof of each field that has one (proto3 `optional` fields: a synthetic `_name`). */
  const oneofOf = new Map<FieldDescriptorProto, string>();

  // Parents before their nested types: a shorter dotted name first.
  const ordered = [...wanted].sort((a, b) => a.split(".").length - b.split(".").length);
  const file = create(FileDescriptorProtoSchema, {
    name: "genuine/gitpod/v1/admin.proto",
    package: "gitpod.v1",
    syntax: "proto3",
    dependency: [...dependencies],
  });
  for (const name of ordered) {
    const block = all.get(name) as Block;
    const short = name.slice(name.lastIndexOf(".") + 1);
    const parent = name.includes(".") ? messages.get(name.slice(0, name.lastIndexOf("."))) : undefined;
    if (block.kind === "enum") {
      const e = create(EnumDescriptorProtoSchema, {
        name: short,
        value: block.rows.map(([value = "", number = ""]) => ({ name: value, number: Number(number) })),
      });
      enums.set(name, e);
      (parent ? parent.enumType : file.enumType).push(e);
    } else if (block.kind === "message") {
      const m = create(DescriptorProtoSchema, { name: short });
      names.set(m, name);
      // A table of "(no fields)" has no rows.
      m.field = block.rows.filter((r) => /^\d+$/.test(r[0] ?? "")).map((r) => fieldOf(r, m));
      // Real oneofs first, then the synthetic ones of proto3 `optional`, as protoc orders them.
      const oneofs = [...new Set(m.field.flatMap((f) => oneofOf.get(f) ?? []))].sort(
        (a, b) => Number(a.startsWith("_")) - Number(b.startsWith("_")),
      );
      m.oneofDecl = oneofs.map((o) => create(OneofDescriptorProtoSchema, { name: o }));
      for (const f of m.field) {
        const o = oneofOf.get(f);
        if (o !== undefined) f.oneofIndex = oneofs.indexOf(o);
      }
      messages.set(name, m);
      (parent ? parent.nestedType : file.messageType).push(m);
    } else {
      file.service.push(
        create(ServiceDescriptorProtoSchema, {
          name,
          method: block.rows.map(([rpc = "", request = "", response = "", effects = ""]) =>
            create(MethodDescriptorProtoSchema, {
              name: rpc.replace(/\s*\(optional\)$/, ""),
              inputType: typeRef(request),
              outputType: typeRef(response.replace(streamed, "")),
              serverStreaming: streamed.test(response),
              ...(effects === "NO_SIDE_EFFECTS"
                ? { options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS } }
                : {}),
            }),
          ),
        }),
      );
    }
  }
  const known = [file_google_protobuf_timestamp, file_google_protobuf_duration, file_google_protobuf_struct];
  return createFileRegistry(file, (name) => known.find((f) => f.proto.name === name));
}

/** One service of the registry, by its name without the package. */
export function genuineService(registry: FileRegistry, name: string): DescService {
  const service = registry.getService(`gitpod.v1.${name}`);
  if (!service) throw new Error(`no service ${name} in the genuine registry`);
  return service;
}

/**
 * A field as the wire sees it: number, name, kind, its scalar or named type, its oneof. Two
 * descriptors whose fields have the same shapes encode and decode the same bytes and JSON.
 */
export function wireShape(f: DescField): string {
  const kind =
    f.fieldKind === "list"
      ? `list of ${f.listKind}`
      : f.fieldKind === "map"
        ? `map ${f.mapKey} to ${f.mapKind}`
        : f.fieldKind;
  const type = f.message?.typeName ?? f.enum?.typeName ?? `scalar ${f.scalar}`;
  return `${f.number} ${f.name} ${kind} ${type} ${f.oneof?.name ?? ""}${f.proto.proto3Optional ? " optional" : ""}`;
}
