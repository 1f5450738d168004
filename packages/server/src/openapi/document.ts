/**
 * The OpenAPI 3.1 description of the server's Connect JSON API (docs/operations.md#openapi),
 * built from the same protobuf-es descriptors the server is built from. No maintained
 * generator for protobuf-es descriptors installs from the registry (docs/decisions.md), so
 * this is the one small module that maps them.
 *
 * - Every unary method of the served services is a `POST` path, at `/<service>/<Method>`
 *   and again under `/api`, with `application/json` bodies. (Streaming methods use Connect's
 *   enveloped framing, which OpenAPI cannot describe; they are left out.)
 * - Schemas follow the canonical proto3 JSON mapping, as the server reads and writes it:
 *   lowerCamelCase names, 64-bit integers as decimal strings, enums by name, bytes as
 *   base64, maps as objects, oneof members as optional properties of which at most one may
 *   be set, and the well-known types in their special forms (Timestamp as RFC 3339,
 *   Duration as `"1.5s"`, FieldMask as a comma-separated string, Struct/Value/ListValue as
 *   plain JSON, wrappers as their value, Any with `@type`).
 * - Calls need `Authorization: Bearer <token>` (the `bearerAuth` scheme) except those the
 *   authentication interceptor lets through, which say `security: []`.
 * - Every error is the Connect error body (`{"code", "message", "details"}`) under `default`.
 */
import {
  type DescEnum,
  type DescEnumValue,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";

export interface OpenApiOptions {
  /** The services served (routes.ts `servedServices`). */
  services: readonly DescService[];
  /** Methods callable without a token (`security: []`). */
  isPublic: (service: DescService, method: DescService["methods"][number]) => boolean;
  /** The document's `info.version`: the server's version. */
  version: string;
  /** The comment of an element in the .proto files (proto-comments.ts), for descriptions. */
  describe?: (
    desc: DescMessage | DescField | DescEnum | DescEnumValue | DescService | DescMethod,
  ) => string | undefined;
}

type Schema = Record<string, unknown>;

/** The Connect error codes, as their JSON names. */
const connectCodes = [
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

export function openApiDocument({ services, isPublic, version, describe = () => undefined }: OpenApiOptions): Schema {
  const described = (desc: Parameters<typeof describe>[0]) => {
    const text = describe(desc);
    return text === undefined ? {} : { description: text };
  };
  const schemas = new Map<string, Schema>();
  const refTo = (typeName: string) => ({ $ref: `#/components/schemas/${typeName}` });

  const addEnum = (desc: DescEnum): Schema => {
    if (desc.typeName === "google.protobuf.NullValue") return { type: "null" };
    if (!schemas.has(desc.typeName)) {
      const values = desc.values.map((v) => [v.name, describe(v)] as const);
      const lines = [
        describe(desc),
        ...values.filter(([, text]) => text !== undefined).map(([name, text]) => `- \`${name}\`: ${text}`),
      ].filter((line) => line !== undefined);
      schemas.set(desc.typeName, {
        type: "string",
        enum: values.map(([name]) => name),
        ...(lines.length ? { description: lines.join("\n") } : {}),
      });
    }
    return refTo(desc.typeName);
  };

  const addMessage = (desc: DescMessage): Schema => {
    if (!schemas.has(desc.typeName)) {
      schemas.set(desc.typeName, {}); // placeholder: recursive messages refer to themselves
      schemas.set(desc.typeName, wellKnown(desc) ?? { ...described(desc), ...messageSchema(desc) });
    }
    return refTo(desc.typeName);
  };

  const singular = (field: DescField): Schema => {
    switch (field.fieldKind) {
      case "scalar":
        return scalar(field.scalar);
      case "enum":
        return addEnum(field.enum);
      case "message":
        return addMessage(field.message);
      case "list":
        return {
          type: "array",
          items:
            field.listKind === "scalar"
              ? scalar(field.scalar)
              : field.listKind === "enum"
                ? addEnum(field.enum)
                : addMessage(field.message),
        };
      case "map":
        return {
          type: "object",
          propertyNames: mapKey(field.mapKey),
          additionalProperties:
            field.mapKind === "scalar"
              ? scalar(field.scalar)
              : field.mapKind === "enum"
                ? addEnum(field.enum)
                : addMessage(field.message),
        };
    }
  };

  const messageSchema = (desc: DescMessage): Schema => {
    // OpenAPI 3.1 schemas may put a description beside a $ref.
    const properties = Object.fromEntries(desc.fields.map((f) => [f.jsonName, { ...singular(f), ...described(f) }]));
    const schema: Schema = { type: "object", properties };
    // At most one member of each oneof: exactly one of the members, or none of them.
    const groups = desc.oneofs.map((oneof) => {
      const each = oneof.fields.map((f) => ({ required: [f.jsonName] }));
      return { oneOf: [...each, { not: { anyOf: each } }] };
    });
    if (groups.length > 0) schema.allOf = groups;
    return schema;
  };

  const paths: Record<string, Schema> = {};
  const tags: Schema[] = [];
  for (const service of services) {
    const unary = service.methods.filter((m) => m.methodKind === "unary");
    if (unary.length === 0) continue;
    tags.push({ name: service.typeName, ...described(service) });
    for (const method of unary) {
      const operation = (operationId: string): Schema => ({
        operationId,
        tags: [service.typeName],
        summary: method.name,
        ...described(method),
        ...(isPublic(service, method) ? { security: [] } : {}),
        parameters: [
          { $ref: "#/components/parameters/ConnectProtocolVersion" },
          { $ref: "#/components/parameters/ConnectTimeout" },
          ...(method.input.fields.some(
            (f) => f.jsonName === "pagination" && f.message?.typeName.endsWith(".PaginationRequest"),
          )
            ? [{ $ref: "#/components/parameters/PageToken" }, { $ref: "#/components/parameters/PageSize" }]
            : []),
        ],
        requestBody: { required: true, content: { "application/json": { schema: addMessage(method.input) } } },
        responses: {
          "200": { description: "Success", content: { "application/json": { schema: addMessage(method.output) } } },
          default: { $ref: "#/components/responses/ConnectError" },
        },
      });
      const path = `/${service.typeName}/${method.name}`;
      paths[path] = { post: operation(`${service.typeName}.${method.name}`) };
      paths[`/api${path}`] = { post: operation(`api.${service.typeName}.${method.name}`) };
    }
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "runnerplane",
      version,
      summary: "The gitpod.v1 runner management API over Connect JSON",
      description:
        "Each RPC is a POST of its request message as JSON (proto3 JSON mapping) to /<package>.<Service>/<Method>, " +
        "or the same under /api. Errors are the Connect error body with an HTTP status for its code.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    tags,
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "A personal access token, or a runner's access token",
        },
      },
      parameters: {
        ConnectProtocolVersion: {
          name: "Connect-Protocol-Version",
          in: "header",
          required: false,
          schema: { type: "string", enum: ["1"] },
        },
        ConnectTimeout: {
          name: "Connect-Timeout-Ms",
          in: "header",
          required: false,
          description: "The call's deadline in milliseconds; the server's own (30 s by default) applies if shorter",
          schema: { type: "string", pattern: "^[0-9]{1,10}$" },
        },
        PageToken: {
          name: "token",
          in: "query",
          required: false,
          description: "Overrides pagination.token",
          schema: { type: "string" },
        },
        PageSize: {
          name: "pageSize",
          in: "query",
          required: false,
          description: "Overrides pagination.pageSize",
          schema: { type: "integer", format: "int32" },
        },
      },
      responses: {
        ConnectError: {
          description: "A Connect error; the HTTP status follows its code (404 not_found, 401 unauthenticated, …)",
          content: { "application/json": { schema: { $ref: "#/components/schemas/connect.error" } } },
        },
      },
      schemas: {
        "connect.error": {
          type: "object",
          required: ["code"],
          properties: {
            code: { type: "string", enum: connectCodes },
            message: { type: "string" },
            details: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  type: { type: "string", description: "The detail's fully qualified message name" },
                  value: { type: "string", contentEncoding: "base64", description: "The detail, binary encoded" },
                  debug: { description: "The detail as JSON, when the server adds it" },
                },
              },
            },
          },
        },
        ...Object.fromEntries([...schemas].sort(([a], [b]) => a.localeCompare(b))),
      },
    },
  };
}

const int64 = { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
const uint64 = { type: "string", format: "uint64", pattern: "^[0-9]+$" };
const floating = (format: "float" | "double") => ({
  oneOf: [
    { type: "number", format },
    { type: "string", enum: ["NaN", "Infinity", "-Infinity"] },
  ],
});

function scalar(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return floating("double");
    case ScalarType.FLOAT:
      return floating("float");
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return uint64;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 };
    default:
      return { type: "integer", format: "int32" };
  }
}

/** Map keys are always JSON object keys (strings): what they must look like. */
function mapKey(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { enum: ["true", "false"] };
    default:
      return { pattern: "^-?[0-9]+$" };
  }
}

/** The well-known types that have a JSON form of their own. */
function wellKnown(desc: DescMessage): Schema | undefined {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time", description: "RFC 3339, e.g. 2026-01-02T03:04:05.678Z" };
    case "google.protobuf.Duration":
      return {
        type: "string",
        pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$",
        description: 'Seconds with up to 9 decimals and an "s", e.g. "1.5s"',
      };
    case "google.protobuf.FieldMask":
      return {
        type: "string",
        description: 'Field paths in lowerCamelCase, comma-separated, e.g. "name,spec.desiredPhase"',
      };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return { description: "Any JSON value" };
    case "google.protobuf.ListValue":
      return { type: "array", items: {} };
    case "google.protobuf.Empty":
      return { type: "object" };
    case "google.protobuf.Any":
      return {
        type: "object",
        required: ["@type"],
        properties: { "@type": { type: "string", description: "type.googleapis.com/<message name>" } },
        additionalProperties: true,
      };
    case "google.protobuf.DoubleValue":
      return floating("double");
    case "google.protobuf.FloatValue":
      return floating("float");
    case "google.protobuf.Int64Value":
      return int64;
    case "google.protobuf.UInt64Value":
      return uint64;
    case "google.protobuf.Int32Value":
      return scalar(ScalarType.INT32);
    case "google.protobuf.UInt32Value":
      return scalar(ScalarType.UINT32);
    case "google.protobuf.BoolValue":
      return { type: "boolean" };
    case "google.protobuf.StringValue":
      return { type: "string" };
    case "google.protobuf.BytesValue":
      return scalar(ScalarType.BYTES);
    default:
      return undefined;
  }
}
