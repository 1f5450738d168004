/**
 * gRPC server reflection, `grpc.reflection.v1` and `grpc.reflection.v1alpha`
 * (docs/operations.md#health-and-reflection), so grpcurl, `buf curl` and Postman find the
 * API without the .proto files. Written here on protobuf-es's descriptors because no
 * reflection library for connect-es installs from the registry (docs/decisions.md).
 *
 * The descriptors are the ones the server itself is built from: the generated code's
 * embedded files, for every served service and everything they import (the well-known
 * types and descriptor.proto included). A file is answered with the files it depends on,
 * transitively, each a serialized FileDescriptorProto, the asked-for file first.
 *
 * v1alpha is the same protocol under another package name, with the same field numbers: its
 * messages are converted to v1's through the wire format and answered by the same code.
 */
import {
  create,
  createFileRegistry,
  type DescFile,
  type DescService,
  type FileRegistry,
  fromBinary,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ErrorResponseSchema,
  ExtensionNumberResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  type ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "@runnerplane/api/grpc/reflection/v1/reflection_pb";
import {
  ServerReflectionRequestSchema as AlphaRequestSchema,
  ServerReflectionResponseSchema as AlphaResponseSchema,
  type ServerReflection as ServerReflectionAlpha,
} from "@runnerplane/api/grpc/reflection/v1alpha/reflection_pb";

/** gRPC status codes the protocol's ErrorResponse carries. */
const grpcInvalidArgument = 3;
const grpcNotFound = 5;

type Answer = ServerReflectionResponse["messageResponse"];

export interface Reflection {
  v1: ServiceImpl<typeof ServerReflection>;
  v1alpha: ServiceImpl<typeof ServerReflectionAlpha>;
}

/** Reflection over `services` (every service the server serves, reflection's own included). */
export function createReflectionServices(services: readonly DescService[]): Reflection {
  const registry = registryOf(services);
  const serviceNames = services.map((s) => s.typeName).sort();
  const answer = (req: ServerReflectionRequest): ServerReflectionResponse =>
    create(ServerReflectionResponseSchema, {
      validHost: req.host,
      originalRequest: req,
      messageResponse: respond(registry, serviceNames, req.messageRequest),
    });

  return {
    v1: {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) yield answer(req);
      },
    },
    v1alpha: {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const v1 = fromBinary(ServerReflectionRequestSchema, toBinary(AlphaRequestSchema, req));
          yield fromBinary(AlphaResponseSchema, toBinary(ServerReflectionResponseSchema, answer(v1)));
        }
      },
    },
  };
}

/** A registry of the services' files and all they import, built once. */
function registryOf(services: readonly DescService[]): FileRegistry {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const dep of file.dependencies) visit(dep);
    ordered.push(file); // dependencies first, as a FileDescriptorSet wants them
  };
  for (const service of services) visit(service.file);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered.map((f) => f.proto) }));
}

function respond(
  registry: FileRegistry,
  serviceNames: readonly string[],
  request: ServerReflectionRequest["messageRequest"],
): Answer {
  switch (request.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: create(ListServiceResponseSchema, { service: serviceNames.map((name) => ({ name })) }),
      };
    case "fileByFilename": {
      const file = registry.getFile(request.value);
      return file ? filesOf(file) : notFound(`file "${request.value}" is not known to this server`);
    }
    case "fileContainingSymbol": {
      const file = fileOfSymbol(registry, request.value);
      return file ? filesOf(file) : notFound(`symbol "${request.value}" is not known to this server`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = request.value;
      const message = registry.getMessage(containingType);
      const extension = message && registry.getExtensionFor(message, extensionNumber);
      return extension
        ? filesOf(extension.file)
        : notFound(`extension ${extensionNumber} of "${containingType}" is not known to this server`);
    }
    case "allExtensionNumbersOfType": {
      const typeName = request.value;
      if (!registry.getMessage(typeName)) return notFound(`message "${typeName}" is not known to this server`);
      const numbers: number[] = [];
      for (const type of registry) {
        if (type.kind === "extension" && type.extendee.typeName === typeName) numbers.push(type.number);
      }
      return {
        case: "allExtensionNumbersResponse",
        value: create(ExtensionNumberResponseSchema, {
          baseTypeName: typeName,
          extensionNumber: numbers.sort((a, b) => a - b),
        }),
      };
    }
    default:
      return error(grpcInvalidArgument, "the request names no reflection call (message_request is empty)");
  }
}

/** The file and every file it imports, transitively, the file first. */
function filesOf(file: DescFile): Answer {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dep of f.dependencies) visit(dep);
  };
  visit(file);
  return {
    case: "fileDescriptorResponse",
    value: create(FileDescriptorResponseSchema, { fileDescriptorProto: out }),
  };
}

/**
 * The file declaring a fully qualified name: a message, enum, service or extension, or a
 * member of one — a method, a field, a oneof, an enum value (whose name is its enum's
 * sibling, as in protobuf's scoping).
 */
function fileOfSymbol(registry: FileRegistry, name: string): DescFile | undefined {
  const type = registry.get(name);
  if (type) return type.file;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const scope = name.slice(0, dot);
  const member = name.slice(dot + 1);
  const parent = registry.get(scope);
  if (parent?.kind === "service" && parent.methods.some((m) => m.name === member)) return parent.file;
  if (
    parent?.kind === "message" &&
    (parent.fields.some((f) => f.name === member) || parent.oneofs.some((o) => o.name === member))
  ) {
    return parent.file;
  }
  for (const candidate of registry) {
    if (
      candidate.kind === "enum" &&
      candidate.typeName.slice(0, candidate.typeName.lastIndexOf(".")) === scope &&
      candidate.values.some((v) => v.name === member)
    ) {
      return candidate.file;
    }
  }
  return undefined;
}

function notFound(message: string): Answer {
  return error(grpcNotFound, message);
}

function error(code: number, message: string): Answer {
  return {
    case: "errorResponse",
    value: create(ErrorResponseSchema, { errorCode: code, errorMessage: message }),
  };
}
