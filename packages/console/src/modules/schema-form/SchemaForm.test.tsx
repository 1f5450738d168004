import { create } from "@bufbuild/protobuf";
import { RunnerConfigurationSchema_FieldSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { SchemaForm } from "./SchemaForm";
import { checkAll, type FieldValues, initialValues, toFieldValues } from "./schema-checks";

const fields = [
  create(RunnerConfigurationSchema_FieldSchema, {
    id: "cpu",
    name: "CPU cores",
    required: true,
    type: { case: "int", value: { default: 2, min: 1, max: 64 } },
  }),
  create(RunnerConfigurationSchema_FieldSchema, {
    id: "image",
    name: "Image",
    type: { case: "string", value: { default: "", pattern: "^[a-z]+$" } },
  }),
  create(RunnerConfigurationSchema_FieldSchema, {
    id: "gpu",
    name: "GPU",
    type: { case: "bool", value: { default: false } },
  }),
  create(RunnerConfigurationSchema_FieldSchema, {
    id: "size",
    name: "Size",
    required: true,
    type: {
      case: "enum",
      value: { possibleValues: [{ title: "small" }, { title: "large" }], defaultValue: { title: "small" } },
    },
  }),
  create(RunnerConfigurationSchema_FieldSchema, {
    id: "note",
    name: "Note",
    type: { case: "display", value: { default: "read me" } },
  }),
  create(RunnerConfigurationSchema_FieldSchema, { id: "future", name: "Future thing" }),
];

function Harness({ errors = {} }: { errors?: FieldValues }) {
  const [values, setValues] = useState(() => initialValues(fields));
  return (
    <>
      <SchemaForm fields={fields} values={values} errors={errors} onChange={setValues} />
      <output data-testid="values">{JSON.stringify(values)}</output>
    </>
  );
}

describe("SchemaForm", () => {
  it("gives every field kind its own labelled control, starting from the schema's defaults", () => {
    render(<Harness />);
    expect((screen.getByLabelText(/CPU cores/) as HTMLInputElement).value).toBe("2");
    expect((screen.getByLabelText(/CPU cores/) as HTMLInputElement).type).toBe("number");
    expect((screen.getByLabelText("Image") as HTMLInputElement).type).toBe("text");
    expect((screen.getByLabelText("GPU") as HTMLInputElement).type).toBe("checkbox");
    expect((screen.getByLabelText(/Size/) as HTMLSelectElement).value).toBe("small");
    expect(screen.getByText("read me")).toBeTruthy();
    // A kind this console does not know is shown, not silently dropped.
    expect(screen.getByText(/does not know/)).toBeTruthy();
  });

  it("reports edits as values keyed by field id", async () => {
    render(<Harness />);
    await userEvent.clear(screen.getByLabelText(/CPU cores/));
    await userEvent.type(screen.getByLabelText(/CPU cores/), "8");
    await userEvent.click(screen.getByLabelText("GPU"));
    await userEvent.selectOptions(screen.getByLabelText(/Size/), "large");
    expect(JSON.parse(screen.getByTestId("values").textContent ?? "")).toMatchObject({
      cpu: "8",
      gpu: "true",
      size: "large",
    });
  });

  it("shows an error beside its field and marks the control invalid", () => {
    render(<Harness errors={{ cpu: "must be between 1 and 64" }} />);
    const cpu = screen.getByLabelText(/CPU cores/);
    expect(cpu.getAttribute("aria-invalid")).toBe("true");
    const describedBy = cpu.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy.split(" ").at(-1) ?? "")?.textContent).toBe("must be between 1 and 64");
  });
});

describe("checkAll", () => {
  it("checks required, integer ranges, patterns and enum values from the schema, in the server's words", () => {
    expect(checkAll(fields, { cpu: "", image: "ABC", size: "huge" })).toEqual({
      cpu: "required but missing",
      image: "must match ^[a-z]+$",
      size: 'must be one of small, large, got "huge"',
    });
    expect(checkAll(fields, { cpu: "65", size: "small" })).toEqual({ cpu: "must be between 1 and 64, got 65" });
    expect(checkAll(fields, { cpu: "1.5", size: "small" })).toEqual({ cpu: 'must be an integer, got "1.5"' });
    expect(checkAll(fields, initialValues(fields))).toEqual({});
  });

  it("anchors patterns and refuses integers beyond 32 bits, as the server does", () => {
    expect(checkAll(fields, { cpu: "4", size: "small", image: "abc1" })).toEqual({ image: "must match ^[a-z]+$" });
    const unbounded = [create(RunnerConfigurationSchema_FieldSchema, { id: "n", type: { case: "int", value: {} } })];
    expect(checkAll(unbounded, { n: "2147483648" })).toEqual({ n: "must fit in a 32-bit integer, got 2147483648" });
    const unanchored = [
      create(RunnerConfigurationSchema_FieldSchema, {
        id: "r",
        type: { case: "string", value: { pattern: "eu-[0-9]" } },
      }),
    ];
    expect(checkAll(unanchored, { r: "eu-1x" })).toEqual({ r: "must match eu-[0-9]" });
    expect(checkAll(unanchored, { r: "eu-1" })).toEqual({});
  });

  it("sends every value but display-only and empty optional ones", () => {
    expect(toFieldValues(fields, { cpu: "4", image: "", gpu: "false", size: "small", note: "read me" })).toEqual([
      { key: "cpu", value: "4" },
      { key: "gpu", value: "false" },
      { key: "size", value: "small" },
    ]);
  });
});
