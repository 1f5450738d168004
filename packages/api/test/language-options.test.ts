/**
 * Every .proto file carries the options generators of other languages need (docs/decisions.md,
 * "Language options"): protoc-gen-go stops without `go_package`, and Java and C# would
 * otherwise derive names from the package alone. Read from the generated descriptors, so what
 * is tested is what the files compile to.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DescFile } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const protoDir = path.join(root, "proto");
const genDir = path.join(root, "packages/api/src/gen");

/** The generated descriptor of every .proto file under proto/, by file name. */
async function generatedFiles(): Promise<Map<string, DescFile>> {
  const protos = (await readdir(protoDir, { recursive: true })).filter((f) => f.endsWith(".proto")).sort();
  const files = new Map<string, DescFile>();
  for (const proto of protos) {
    const name = proto.split(path.sep).join("/");
    const generated = pathToFileURL(path.join(genDir, name.replace(/\.proto$/, "_pb.ts"))).href;
    const module = (await import(generated)) as Record<string, unknown>;
    const file = Object.values(module).find(
      (v): v is DescFile =>
        (v as { kind?: unknown } | undefined)?.kind === "file" && (v as DescFile).name === name.replace(/\.proto$/, ""),
    );
    if (!file) throw new Error(`no generated descriptor for ${name}`);
    files.set(name, file);
  }
  return files;
}

/** The options each package's files carry; one value per package, so generated code is one package. */
const expected: Record<string, { go: string; java: string; csharp: string }> = {
  "gitpod.v1": {
    go: "github.com/runnerplane/runnerplane/gen/go/gitpod/v1;gitpodv1",
    java: "io.github.runnerplane.gitpod.v1",
    csharp: "Runnerplane.Gitpod.V1",
  },
  "runnerplane.validate.v1": {
    go: "github.com/runnerplane/runnerplane/gen/go/runnerplane/validate/v1;validatev1",
    java: "io.github.runnerplane.validate.v1",
    csharp: "Runnerplane.Validate.V1",
  },
  "runnerplane.runner.v1": {
    go: "github.com/runnerplane/runnerplane/gen/go/runnerplane/runner/v1;runnerv1",
    java: "io.github.runnerplane.runner.v1",
    csharp: "Runnerplane.Runner.V1",
  },
  "grpc.health.v1": {
    go: "github.com/runnerplane/runnerplane/gen/go/grpc/health/v1;healthv1",
    java: "io.github.runnerplane.grpc.health.v1",
    csharp: "Runnerplane.Grpc.Health.V1",
  },
  "grpc.reflection.v1": {
    go: "github.com/runnerplane/runnerplane/gen/go/grpc/reflection/v1;reflectionv1",
    java: "io.github.runnerplane.grpc.reflection.v1",
    csharp: "Runnerplane.Grpc.Reflection.V1",
  },
  "grpc.reflection.v1alpha": {
    go: "github.com/runnerplane/runnerplane/gen/go/grpc/reflection/v1alpha;reflectionv1alpha",
    java: "io.github.runnerplane.grpc.reflection.v1alpha",
    csharp: "Runnerplane.Grpc.Reflection.V1alpha",
  },
};

describe("language options of the generated descriptors", () => {
  it("cover every .proto file", async () => {
    const files = await generatedFiles();
    expect([...files.keys()]).toContain("gitpod/v1/runner.proto");
    expect([...files.keys()]).toContain("runnerplane/validate/v1/validate.proto");
    expect(new Set([...files.values()].map((f) => f.proto.package))).toEqual(new Set(Object.keys(expected)));
  });

  it("give every file go_package, java_package, java_multiple_files and csharp_namespace", async () => {
    for (const [name, file] of await generatedFiles()) {
      const want = expected[file.proto.package];
      const options = file.proto.options;
      expect(want, `${name}: package ${file.proto.package} has no expected options`).toBeDefined();
      expect(
        {
          goPackage: options?.goPackage,
          javaPackage: options?.javaPackage,
          javaMultipleFiles: options?.javaMultipleFiles,
          csharpNamespace: options?.csharpNamespace,
        },
        name,
      ).toEqual({
        goPackage: want?.go,
        javaPackage: want?.java,
        javaMultipleFiles: true,
        csharpNamespace: want?.csharp,
      });
    }
  });

  it("use a Go import path whose last element is the package's directory", async () => {
    // protoc-gen-go places files by import path (unless paths=source_relative): the path must
    // end in the .proto file's own directory for both layouts to agree.
    for (const [name, file] of await generatedFiles()) {
      const [importPath] = (file.proto.options?.goPackage ?? "").split(";");
      expect(importPath?.endsWith(`/${path.posix.dirname(name)}`), name).toBe(true);
    }
  });
});
