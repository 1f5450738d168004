/**
 * Server reflection against the real server: `buf curl` discovers and calls the API with
 * reflection alone (no .proto files, no --schema), over v1 and v1alpha; and each call of
 * the protocol answers as it says, through a connect-es gRPC client.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "@runnerplane/api/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ServerReflectionV1alpha } from "@runnerplane/api/grpc/reflection/v1alpha/reflection_pb";
import { field as fieldRules, message as messageRules } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedServices } from "../routes.js";
import { type SeededOrganization, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";

const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));
const run = promisify(execFile);

let server: TestServer;
let org: SeededOrganization;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql);
});

afterAll(async () => {
  await server?.close();
});

/** `buf curl` against the test server over gRPC on cleartext HTTP/2, its reflection only. */
async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
    timeout: 60_000,
  });
  return stdout;
}

const servedMethods = servedServices.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)).sort();

describe("buf curl with reflection only", () => {
  it("lists every method of every served service (v1)", async () => {
    const listed = (await bufCurl("--list-methods", server.baseUrl)).trim().split("\n").sort();
    expect(listed).toEqual(servedMethods);
  });

  it("lists every method of every served service over v1alpha", async () => {
    const listed = (await bufCurl("--reflect-protocol", "grpc-v1alpha", "--list-methods", server.baseUrl))
      .trim()
      .split("\n")
      .sort();
    expect(listed).toEqual(servedMethods);
  });

  it.each(["grpc-v1", "grpc-v1alpha"])("calls GetAuthenticatedIdentity with a bearer token (%s)", async (protocol) => {
    const out = await bufCurl(
      "--reflect-protocol",
      protocol,
      "-H",
      `Authorization: Bearer ${org.admin.token}`,
      "-d",
      "{}",
      `${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`,
    );
    expect(JSON.parse(out)).toMatchObject({
      organizationId: org.organization.id,
      subject: { id: org.admin.member.id, principal: "PRINCIPAL_USER" },
    });
  });
});

describe("ServerReflectionInfo", () => {
  const ask = async (...requests: Omit<ServerReflectionRequest, "$typeName">[]) => {
    const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: server.baseUrl }));
    const answers: ServerReflectionResponse[] = [];
    async function* send() {
      for (const r of requests) yield create(ServerReflectionRequestSchema, r);
    }
    for await (const res of client.serverReflectionInfo(send())) answers.push(res);
    return answers;
  };
  const filesOf = (res: ServerReflectionResponse | undefined) => {
    if (res?.messageResponse.case !== "fileDescriptorResponse")
      throw new Error(`no files: ${res?.messageResponse.case}`);
    return res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
  };

  it("answers each request of one stream in order, echoing it", async () => {
    const [a, b] = await ask(
      { host: "h", messageRequest: { case: "listServices", value: "" } },
      { host: "h", messageRequest: { case: "fileByFilename", value: "gitpod/v1/runner.proto" } },
    );
    expect(a?.validHost).toBe("h");
    expect(a?.originalRequest?.messageRequest.case).toBe("listServices");
    expect(a?.messageResponse.value).toMatchObject({
      service: servedServices.map((s) => ({ name: s.typeName })).sort((x, y) => x.name.localeCompare(y.name)),
    });
    expect(b?.originalRequest?.messageRequest).toEqual({ case: "fileByFilename", value: "gitpod/v1/runner.proto" });
  });

  it("returns a file with all its dependencies, the file first, enough to rebuild every type", async () => {
    const [res] = await ask({ host: "", messageRequest: { case: "fileByFilename", value: "gitpod/v1/runner.proto" } });
    const files = filesOf(res);
    expect(files[0]?.name).toBe("gitpod/v1/runner.proto");
    expect(files.map((f) => f.name)).toContain("google/protobuf/timestamp.proto");
    // Every import is in the answer: order them dependencies first and rebuild the types.
    const byName = new Map(files.map((f) => [f.name, f]));
    const ordered: typeof files = [];
    const visit = (name: string) => {
      const file = byName.get(name);
      if (!file) throw new Error(`${name} is missing from the answer`);
      if (ordered.includes(file)) return;
      for (const dep of file.dependency) visit(dep);
      ordered.push(file);
    };
    visit("gitpod/v1/runner.proto");
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
    expect(registry.getService("gitpod.v1.RunnerService")?.methods.map((m) => m.name)).toContain("CreateRunner");
    expect(registry.getMessage("gitpod.v1.Runner")).toBeDefined();
  });

  it.each([
    ["a service", "gitpod.v1.RunnerService", "gitpod/v1/runner.proto"],
    ["a method", "gitpod.v1.RunnerService.CreateRunner", "gitpod/v1/runner.proto"],
    ["a message", "gitpod.v1.Runner", "gitpod/v1/runner.proto"],
    ["a nested enum", "grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
    ["a field", "grpc.health.v1.HealthCheckRequest.service", "grpc/health/v1/health.proto"],
    ["an enum value", "grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
    ["a well-known type", "google.protobuf.Timestamp", "google/protobuf/timestamp.proto"],
    ["an extension", "runnerplane.validate.v1.field", "runnerplane/validate/v1/validate.proto"],
  ])("finds the file containing %s", async (_what, symbol, file) => {
    const [res] = await ask({ host: "", messageRequest: { case: "fileContainingSymbol", value: symbol } });
    expect(filesOf(res)[0]?.name).toBe(file);
  });

  it("finds the file containing an extension, and every extension number of a type", async () => {
    const [byNumber, numbers] = await ask(
      {
        host: "",
        messageRequest: {
          case: "fileContainingExtension",
          value: {
            $typeName: "grpc.reflection.v1.ExtensionRequest",
            containingType: "google.protobuf.FieldOptions",
            extensionNumber: fieldRules.number,
          },
        },
      },
      { host: "", messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.MessageOptions" } },
    );
    expect(filesOf(byNumber)[0]?.name).toBe("runnerplane/validate/v1/validate.proto");
    expect(numbers?.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({
        baseTypeName: "google.protobuf.MessageOptions",
        extensionNumber: [messageRules.number],
      }),
    });
  });

  it("answers NOT_FOUND for what it does not know, and INVALID_ARGUMENT for an empty request, keeping the stream", async () => {
    const answers = await ask(
      { host: "", messageRequest: { case: "fileByFilename", value: "nope.proto" } },
      { host: "", messageRequest: { case: "fileContainingSymbol", value: "gitpod.v1.Nope" } },
      {
        host: "",
        messageRequest: {
          case: "fileContainingExtension",
          value: {
            $typeName: "grpc.reflection.v1.ExtensionRequest",
            containingType: "google.protobuf.FieldOptions",
            extensionNumber: 1,
          },
        },
      },
      { host: "", messageRequest: { case: "allExtensionNumbersOfType", value: "gitpod.v1.Nope" } },
      { host: "", messageRequest: { case: undefined } },
      { host: "", messageRequest: { case: "listServices", value: "" } },
    );
    const codes = answers.map((a) =>
      a.messageResponse.case === "errorResponse" ? a.messageResponse.value.errorCode : a.messageResponse.case,
    );
    expect(codes).toEqual([5, 5, 5, 5, 3, "listServicesResponse"]);
    for (const a of answers.slice(0, 4)) {
      expect(a.messageResponse.case === "errorResponse" && a.messageResponse.value.errorMessage).toMatch(/not known/);
    }
  });

  it("answers v1alpha the same as v1", async () => {
    const client = createClient(ServerReflectionV1alpha, createGrpcTransport({ baseUrl: server.baseUrl }));
    async function* send() {
      yield { host: "", messageRequest: { case: "fileContainingSymbol" as const, value: "gitpod.v1.Runner" } };
    }
    const answers = [];
    for await (const res of client.serverReflectionInfo(send())) answers.push(res);
    expect(answers).toHaveLength(1);
    const response = answers[0]?.messageResponse;
    expect(response?.case).toBe("fileDescriptorResponse");
    const first = response?.case === "fileDescriptorResponse" ? response.value.fileDescriptorProto[0] : undefined;
    expect(first && fromBinary(FileDescriptorProtoSchema, first).name).toBe("gitpod/v1/runner.proto");
  });
});
