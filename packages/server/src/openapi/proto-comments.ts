/**
 * The comments of the .proto files, for the OpenAPI document's descriptions. The generated
 * code's embedded descriptors carry none (protoc-gen-es strips source info), so the
 * document's generator asks `buf build` for the same files with their source info and reads
 * each element's leading comment with protoplugin's getComments. Used by `pnpm generate`
 * and the test that checks the document is current, never by the running server.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type AnyDesc,
  createFileRegistry,
  type DescEnum,
  type DescEnumValue,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type Registry,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { getComments } from "@bufbuild/protoplugin";

export type Describe = (
  desc: DescMessage | DescField | DescEnum | DescEnumValue | DescService | DescMethod,
) => string | undefined;

/** The repository root, where buf.yaml is (for src/openapi and dist/openapi alike). */
const root = fileURLToPath(new URL("../../../../", import.meta.url));
const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));

export function protoComments(): Describe {
  const set = fromBinary(
    FileDescriptorSetSchema,
    execFileSync(buf, ["build", "--as-file-descriptor-set", "-o", "-"], { cwd: root, maxBuffer: 64 << 20 }),
  );
  const registry = createFileRegistry(set);
  return (desc) => {
    const found = counterpart(registry, desc);
    if (!found) return undefined;
    const { leading, trailing } = getComments(found);
    const text = (leading ?? trailing ?? "")
      .split("\n")
      .map((line) => line.replace(/^ /, "").trimEnd())
      .join("\n")
      .trim();
    return text === "" ? undefined : text;
  };
}

/** The same element in the registry built with source info. */
function counterpart(
  registry: Registry,
  desc: Parameters<Describe>[0],
): Exclude<AnyDesc, { kind: "file" }> | undefined {
  switch (desc.kind) {
    case "message":
      return registry.getMessage(desc.typeName);
    case "enum":
      return registry.getEnum(desc.typeName);
    case "service":
      return registry.getService(desc.typeName);
    case "field":
      return registry.getMessage(desc.parent.typeName)?.fields.find((f) => f.name === desc.name);
    case "rpc":
      return registry.getService(desc.parent.typeName)?.methods.find((m) => m.name === desc.name);
    case "enum_value":
      return registry.getEnum(desc.parent.typeName)?.values.find((v) => v.name === desc.name);
  }
}
