/**
 * checkConfiguration(): an environment class's configuration against the runner's schema
 * (behaviour.md §5, docs/configuration.md), branch by branch. Pure: no server, no database.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { RunnerConfigurationSchemaSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { describe, expect, it } from "vitest";
import { checkConfiguration } from "./configuration-check.js";

type FieldInit = NonNullable<MessageInitShape<typeof RunnerConfigurationSchemaSchema>["environmentClasses"]>[number];

function schemaOf(...fields: FieldInit[]) {
  return create(RunnerConfigurationSchemaSchema, { environmentClasses: fields });
}

const kv = (key: string, value: string) => ({ key, value });

/** Errors for one value of a single optional field. */
function errorsFor(field: FieldInit, value: string) {
  return checkConfiguration(schemaOf({ id: "f", ...field }), [kv("f", value)]);
}

describe("keys", () => {
  const schema = schemaOf(
    { id: "cpu", required: true, type: { case: "int", value: { min: 1, max: 64 } } },
    { id: "memory", required: true, type: { case: "int", value: { min: 256, max: 65536 } } },
    { id: "disk", required: false, type: { case: "int", value: { min: 1, max: 1000 } } },
  );

  it("accepts a configuration with every required key and no others", () => {
    expect(checkConfiguration(schema, [kv("cpu", "4"), kv("memory", "8192")])).toEqual([]);
    expect(checkConfiguration(schema, [kv("disk", "50"), kv("memory", "8192"), kv("cpu", "4")])).toEqual([]);
  });

  it("names the keys the schema knows when a key is unknown", () => {
    const errors = checkConfiguration(schema, [kv("cpu", "4"), kv("memory", "8192"), kv("gpu", "1")]);
    expect(errors).toEqual([{ key: "gpu", error: expect.stringContaining("unknown key") }]);
    expect(errors[0]?.error).toContain("cpu, memory, disk");
  });

  it("says the schema knows no key at all when it has no environment-class fields", () => {
    const errors = checkConfiguration(schemaOf(), [kv("cpu", "4")]);
    expect(errors).toEqual([{ key: "cpu", error: expect.stringContaining("none") }]);
  });

  it("reports a key given twice once, after checking its first value", () => {
    const errors = checkConfiguration(schema, [kv("cpu", "4"), kv("memory", "8192"), kv("cpu", "8")]);
    expect(errors).toEqual([{ key: "cpu", error: "given more than once" }]);
  });

  it("reports every missing required key, and not optional ones", () => {
    expect(checkConfiguration(schema, [])).toEqual([
      { key: "cpu", error: "required but missing" },
      { key: "memory", error: "required but missing" },
    ]);
  });

  it("does not report a required key as missing when its value is wrong", () => {
    expect(checkConfiguration(schema, [kv("cpu", "many"), kv("memory", "8192")])).toEqual([
      { key: "cpu", error: expect.stringContaining("integer") },
    ]);
  });

  it("lists every failing key at once", () => {
    const errors = checkConfiguration(schema, [kv("cpu", "x"), kv("disk", "0"), kv("disk", "5"), kv("gpu", "1")]);
    expect(errors.map((e) => e.key)).toEqual(["cpu", "disk", "disk", "gpu", "memory"]);
  });
});

describe("int fields", () => {
  const int = (min: number, max: number): FieldInit => ({ type: { case: "int", value: { min, max } } });

  it.each(["1", "4", "64", "007"])("accepts %j within bounds", (value) => {
    expect(errorsFor(int(1, 64), value)).toEqual([]);
  });

  it.each(["1.5", " 4", "4 ", "+4", "4e2", "0x10", "", "four", "-", "1,000"])(
    "rejects %j as not an integer",
    (value) => {
      expect(errorsFor(int(1, 64), value)).toEqual([{ key: "f", error: `must be an integer, got "${value}"` }]);
    },
  );

  it.each([
    ["0", 0],
    ["65", 65],
    ["-3", -3],
  ])("rejects %j out of range", (value, n) => {
    expect(errorsFor(int(1, 64), value)).toEqual([{ key: "f", error: `must be between 1 and 64, got ${n}` }]);
  });

  it("accepts negative integers inside a negative range", () => {
    expect(errorsFor(int(-10, -1), "-3")).toEqual([]);
  });

  it("treats min = max = 0 as unbounded", () => {
    for (const value of ["-3", "0", "1000000"]) expect(errorsFor(int(0, 0), value)).toEqual([]);
    expect(errorsFor(int(0, 0), "1.5")).toHaveLength(1);
  });
});

describe("bool fields", () => {
  const bool: FieldInit = { type: { case: "bool", value: {} } };

  it.each(["true", "false"])("accepts %j", (value) => {
    expect(errorsFor(bool, value)).toEqual([]);
  });

  it.each(["True", "1", "yes", "", " true"])("rejects %j", (value) => {
    expect(errorsFor(bool, value)).toEqual([{ key: "f", error: `must be true or false, got "${value}"` }]);
  });
});

describe("enum fields", () => {
  const enumField: FieldInit = {
    type: {
      case: "enum",
      value: {
        possibleValues: [
          { title: "small", subtitle: "2 cores" },
          { title: "large", subtitle: "8 cores" },
        ],
        values: ["legacy"],
      },
    },
  };

  it.each(["small", "large"])("accepts the possible value title %j", (value) => {
    expect(errorsFor(enumField, value)).toEqual([]);
  });

  it("accepts a value listed only in the deprecated values", () => {
    expect(errorsFor(enumField, "legacy")).toEqual([]);
  });

  it.each(["medium", "Small", "2 cores", ""])("rejects %j, naming the possible values", (value) => {
    expect(errorsFor(enumField, value)).toEqual([
      { key: "f", error: `must be one of small, large, legacy, got "${value}"` },
    ]);
  });
});

describe("string fields", () => {
  const str = (pattern: string): FieldInit => ({ type: { case: "string", value: { pattern } } });

  it("accepts anything without a pattern", () => {
    expect(errorsFor(str(""), "")).toEqual([]);
    expect(errorsFor(str(""), "any thing")).toEqual([]);
  });

  it("accepts a value matching the whole pattern", () => {
    expect(errorsFor(str("[a-z]+-[0-9]+"), "eu-1")).toEqual([]);
    expect(errorsFor(str("a|b"), "b")).toEqual([]);
  });

  it("anchors the pattern: a partial match is not a match", () => {
    for (const value of ["_eu-1", "eu-1x", "eu-1\n", "eu-1 eu-2"]) {
      expect(errorsFor(str("[a-z]+-[0-9]+"), value)).toEqual([{ key: "f", error: "must match [a-z]+-[0-9]+" }]);
    }
    // Alternatives are anchored as a whole, not just the first and last branch.
    expect(errorsFor(str("a|b"), "ab")).toHaveLength(1);
    expect(errorsFor(str("a|b"), "xb")).toHaveLength(1);
  });

  it("accepts patterns that anchor themselves", () => {
    expect(errorsFor(str("^[0-9]+$"), "42")).toEqual([]);
  });

  it("reports an invalid pattern in the schema instead of throwing", () => {
    expect(errorsFor(str("(unclosed"), "x")).toEqual([
      { key: "f", error: "the runner's schema has an invalid pattern for this key" },
    ]);
  });
});

describe("display fields", () => {
  it("take no value", () => {
    const display: FieldInit = { type: { case: "display", value: { default: "Read me" } } };
    expect(errorsFor(display, "anything")).toEqual([{ key: "f", error: "is for display only and takes no value" }]);
    expect(errorsFor(display, "")).toHaveLength(1);
  });
});

describe("fields without a type", () => {
  it("accept any value", () => {
    expect(errorsFor({}, "whatever")).toEqual([]);
  });
});
