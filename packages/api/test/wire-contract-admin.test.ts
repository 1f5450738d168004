/**
 * The .proto files are wire-identical to the second wave's contract: every service, enum and
 * message `wire-contract-admin.md` lists, with its field numbers, names, types, labels, oneofs,
 * reserved numbers, enum numbers, idempotency levels and validation rules, compared with the
 * generated descriptors.
 *
 * `contract/wire-contract-admin.md.txt` is a byte-for-byte copy of the specification's file,
 * committed so the test runs on a clean clone (`cmp` it with the specification to see that it
 * is current; the `.txt` keeps the Markdown formatter from re-padding its tables). The
 * descriptors are what the .proto files compile to, so what is checked is what clients see on
 * the wire.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type AnyDesc,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescService,
  getOption,
  hasOption,
  ScalarType,
  toJson,
} from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FieldRulesSchema,
  field as fieldRules,
  oneof as oneofRules,
} from "../src/gen/runnerplane/validate/v1/validate_pb.js";
import { type ContractType, parseContract } from "./contract/tables.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const genDir = path.join(here, "../src/gen");

/** Where our files deliberately hold more than the contract lists, and why. */
const extras: Record<string, { reason: string; fields?: number[]; values?: number[]; methods?: string[] }> = {
  "gitpod.v1.RunnerCapability": {
    reason: "RUNNER_CAPABILITY_BASE_SNAPSHOT (17) comes from wire-contract.md; the contract says both lists differ",
    values: [17],
  },
  "gitpod.v1.WatchRequestsResponse": {
    reason: "only the LLM member of oneof request is listed; the others are in wire-contract.md",
    fields: [1, 2, 12, 13, 16, 50, 51, 52, 53, 60, 61, 62],
  },
  "gitpod.v1.RunnerConfigurationService": {
    reason: "only the LLM methods are listed; the others are in wire-contract.md",
    methods: [
      "CreateHostAuthenticationToken",
      "GetHostAuthenticationToken",
      "ListHostAuthenticationTokens",
      "UpdateHostAuthenticationToken",
      "DeleteHostAuthenticationToken",
      "GetRunnerConfigurationSchema",
      "CreateSCMIntegration",
      "GetSCMIntegration",
      "ListSCMIntegrations",
      "UpdateSCMIntegration",
      "DeleteSCMIntegration",
      "CreateEnvironmentClass",
      "GetEnvironmentClass",
      "ListEnvironmentClasses",
      "UpdateEnvironmentClass",
      "ValidateRunnerConfiguration",
    ],
  },
  "gitpod.v1.RunnerInteractionService": {
    reason: "only the LLM methods are listed; the others are in wire-contract.md",
    methods: [
      "Signup",
      "MarkRunnerActive",
      "UpdateRunnerStatus",
      "UpdateRunnerConfigurationSchema",
      "GetHostAuthenticationTokenValue",
      "ListRunnerEnvironmentClasses",
      "ListRunnerSCMIntegrations",
      "WatchRequests",
      "SendResponse",
    ],
  },
};

/** The files that hold only what this contract lists (the others mix in wire-contract.md). */
const ownFiles = [
  "gitpod/v1/user.proto",
  "gitpod/v1/organization.proto",
  "gitpod/v1/group.proto",
  "gitpod/v1/service_account.proto",
  "gitpod/v1/event.proto",
  "gitpod/v1/model.proto",
  "gitpod/v1/count.proto",
  "gitpod/v1/agent_security.proto",
  "gitpod/v1/environment.proto",
];

let contract: ContractType[];
let files: DescFile[];
const types = new Map<string, AnyDesc>();

beforeAll(async () => {
  contract = parseContract(await readFile(path.join(here, "contract/wire-contract-admin.md.txt"), "utf8"));
  files = [];
  for (const name of (await readdir(genDir, { recursive: true })).filter((f) => f.endsWith("_pb.ts"))) {
    const module = (await import(pathToFileURL(path.join(genDir, name)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if ((value as { kind?: unknown } | undefined)?.kind === "file") files.push(value as DescFile);
    }
  }
  for (const file of files) {
    for (const type of nestedTypes(file)) {
      if (type.kind !== "extension") types.set(type.typeName, type);
    }
  }
});

function lookup<K extends "message" | "enum" | "service">(
  kind: K,
  name: string,
): K extends "message" ? DescMessage : K extends "enum" ? DescEnum : DescService {
  const desc = types.get(`gitpod.v1.${name}`);
  if (desc?.kind !== kind) throw new Error(`gitpod.v1.${name}: no ${kind} of that name in the generated code`);
  return desc as never;
}

/** A field's type as the contract writes it. */
function typeOf(field: DescField): string {
  const element = (scalar: ScalarType | undefined, desc: DescMessage | DescEnum | undefined) =>
    scalar !== undefined ? ScalarType[scalar].toLowerCase() : short(desc?.typeName ?? "?");
  switch (field.fieldKind) {
    case "scalar":
      return element(field.scalar, undefined);
    case "enum":
      return short(field.enum.typeName);
    case "message":
      return short(field.message.typeName);
    case "list":
      return field.listKind === "scalar"
        ? element(field.scalar, undefined)
        : element(undefined, field.listKind === "enum" ? field.enum : field.message);
    case "map": {
      const value =
        field.mapKind === "scalar"
          ? element(field.scalar, undefined)
          : element(undefined, field.mapKind === "enum" ? field.enum : field.message);
      return `map<${ScalarType[field.mapKey].toLowerCase()}, ${value}>`;
    }
  }
}

const short = (typeName: string) => typeName.replace(/^gitpod\.v1\./, "");

function labelOf(field: DescField): string {
  if (field.fieldKind === "list") return "repeated";
  return field.proto.proto3Optional ? "optional" : "";
}

function rulesOf(field: DescField): Record<string, unknown> | undefined {
  return hasOption(field, fieldRules)
    ? (toJson(FieldRulesSchema, getOption(field, fieldRules)) as Record<string, unknown>)
    : undefined;
}

function reservedNumbers(ranges: { start: number; end: number }[], endInclusive: boolean): number[] {
  return ranges.flatMap(({ start, end }) =>
    Array.from({ length: (endInclusive ? end + 1 : end) - start }, (_, i) => start + i),
  );
}

const listed = (kind: ContractType["kind"]) => () =>
  contract.filter((t) => t.kind === kind && !t.elsewhere).map((t) => [t.name, t] as const);

describe("the copy of wire-contract-admin.md", () => {
  it("lists the second wave's services and the types they use", () => {
    const names = contract.map((t) => `${t.kind} ${t.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "service UserService",
        "service OrganizationService",
        "service GroupService",
        "service ServiceAccountService",
        "service EventService",
        "service RunnerConfigurationService",
        "service RunnerInteractionService",
        "enum RunnerCapability",
        "message WatchRequestsResponse",
        "message InviteDomains",
      ]),
    );
  });

  it("is read whole: as many types, fields, values and methods as it has headings and rows", () => {
    // Counted with grep in the file: `^\*\*message `, `^| <n> | <field> | `, and so on.
    const count = (kind: ContractType["kind"]) => contract.filter((t) => t.kind === kind);
    expect(count("message")).toHaveLength(142);
    expect(count("enum")).toHaveLength(18);
    expect(count("service")).toHaveLength(7);
    expect(count("message").flatMap((t) => (t.kind === "message" ? t.fields : []))).toHaveLength(336);
    expect(count("enum").flatMap((t) => (t.kind === "enum" ? t.values : []))).toHaveLength(208);
    expect(count("service").flatMap((t) => (t.kind === "service" ? t.methods : []))).toHaveLength(52);
  });
});

describe("messages", () => {
  it("have the contract's fields, numbers, types, labels, oneofs and rules", () => {
    for (const [name, type] of listed("message")()) {
      if (type.kind !== "message") continue;
      const desc = lookup("message", name);
      const skip = new Set(extras[desc.typeName]?.fields ?? []);
      const actual = desc.fields
        .filter((f) => !skip.has(f.number))
        .map((f) => ({
          number: f.number,
          name: f.name,
          type: typeOf(f),
          label: labelOf(f),
          oneof: f.oneof?.name,
          deprecated: f.proto.options?.deprecated === true,
          rules: rulesOf(f),
        }));
      expect(actual, desc.typeName).toEqual(type.fields);
    }
  });

  it("reserve what the contract reserves, and nothing else", () => {
    for (const [name, type] of listed("message")()) {
      if (type.kind !== "message") continue;
      const desc = lookup("message", name);
      expect(
        { numbers: reservedNumbers(desc.proto.reservedRange, false), names: desc.proto.reservedName },
        desc.typeName,
      ).toEqual(type.reserved);
    }
  });

  it("require the oneofs the contract requires, and only those", () => {
    for (const [name, type] of listed("message")()) {
      if (type.kind !== "message") continue;
      const desc = lookup("message", name);
      const required = desc.oneofs
        .filter((o) => hasOption(o, oneofRules) && getOption(o, oneofRules).required)
        .map((o) => o.name);
      expect(required, desc.typeName).toEqual(type.requiredOneofs);
    }
  });
});

describe("enums", () => {
  it("have the contract's values and numbers, deprecated where it says so", () => {
    for (const [name, type] of listed("enum")()) {
      if (type.kind !== "enum") continue;
      const desc = lookup("enum", name);
      const skip = new Set(extras[desc.typeName]?.values ?? []);
      const actual = desc.values
        .filter((v) => !skip.has(v.number))
        .map((v) => ({ name: v.name, number: v.number, deprecated: v.proto.options?.deprecated === true }));
      expect(actual, desc.typeName).toEqual(type.values);
    }
  });

  it("reserve what the contract reserves", () => {
    for (const [name, type] of listed("enum")()) {
      if (type.kind !== "enum") continue;
      const desc = lookup("enum", name);
      expect(
        { numbers: reservedNumbers(desc.proto.reservedRange, true), names: desc.proto.reservedName },
        desc.typeName,
      ).toEqual(type.reserved);
    }
  });

  it("keep RunnerCapability 17 from wire-contract.md next to the new 18", () => {
    const capability = lookup("enum", "RunnerCapability");
    expect(capability.values.find((v) => v.number === 17)?.name).toBe("RUNNER_CAPABILITY_BASE_SNAPSHOT");
    expect(capability.values.find((v) => v.number === 18)?.name).toBe("RUNNER_CAPABILITY_DYNAMIC_LLM_REQUEST_HEADERS");
  });
});

describe("services", () => {
  it("have the contract's methods, request and response types and idempotency levels", () => {
    for (const [name, type] of listed("service")()) {
      if (type.kind !== "service") continue;
      const desc = lookup("service", name);
      const skip = new Set(extras[desc.typeName]?.methods ?? []);
      const actual = desc.methods
        .filter((m) => !skip.has(m.name))
        .map((m) => ({
          name: m.name,
          request: short(m.input.typeName),
          response: short(m.output.typeName),
          noSideEffects: m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
          kind: m.methodKind,
        }));
      expect(actual, desc.typeName).toEqual(
        type.methods.map(({ name, request, response, noSideEffects }) => ({
          name,
          request,
          response,
          noSideEffects,
          kind: "unary",
        })),
      );
    }
  });
});

describe("types listed as in wire-contract.md", () => {
  it("exist under the same name", () => {
    for (const type of contract.filter((t) => t.elsewhere)) {
      expect(() => lookup(type.kind, type.name), type.name).not.toThrow();
    }
  });
});

describe("the files that hold only this contract's types", () => {
  it("declare nothing the contract does not list", () => {
    const names = new Set(contract.map((t) => `gitpod.v1.${t.name}`));
    for (const file of files.filter((f) => ownFiles.includes(`${f.name}.proto`))) {
      for (const type of nestedTypes(file)) {
        expect(names.has(type.typeName), `${file.name}.proto declares ${type.typeName}`).toBe(true);
      }
    }
    expect(files.filter((f) => ownFiles.includes(`${f.name}.proto`))).toHaveLength(ownFiles.length);
  });
});

describe("the exceptions above", () => {
  it("each name a type of the contract and give a reason", () => {
    for (const [typeName, extra] of Object.entries(extras)) {
      expect(
        contract.some((t) => `gitpod.v1.${t.name}` === typeName),
        typeName,
      ).toBe(true);
      expect(extra.reason.length).toBeGreaterThan(0);
    }
  });
});
