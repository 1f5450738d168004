/**
 * The Connect JSON request path: unknown JSON fields are dropped (guided by the message
 * descriptors) so that protobuf-es can decode the rest strictly, the body is parsed, and
 * its size is limited (behaviour.md §1).
 */
import { Readable } from "node:stream";
import { fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CreateHostAuthenticationTokenRequestSchema,
  RunnerKind,
  ValidateRunnerConfigurationRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  SendResponseRequestSchema,
  UpdateRunnerStatusRequestSchema,
  WatchRequestsResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { CreateRunnerRequestSchema, ListRunnersRequestSchema } from "@runnerplane/api/gitpod/v1/runner_pb";
import { describe, expect, it } from "vitest";
import { subjectMapHolder } from "../testing/index.js";
import { type NodeRequest, parseJsonBody, prepareJsonRequest, readBody } from "./json-body.js";

function cleaned(desc: Parameters<typeof prepareJsonRequest>[0], json: JsonValue): JsonValue {
  prepareJsonRequest(desc, json);
  return json;
}

describe("prepareJsonRequest", () => {
  it("drops unknown top-level keys and keeps known ones", () => {
    const json = { name: "my runner", futureField: 1, future_field: { a: 1 }, "": true };
    expect(cleaned(CreateRunnerRequestSchema, json)).toEqual({ name: "my runner" });
  });

  it("accepts both the lowerCamelCase JSON name and the proto name", () => {
    const json = { runnerManagerId: "a", runner_manager_id: "b", RunnerManagerId: "c", runnermanagerid: "d" };
    expect(cleaned(CreateRunnerRequestSchema, json)).toEqual({ runnerManagerId: "a", runner_manager_id: "b" });
  });

  it("drops unknown keys inside nested messages, at any depth", () => {
    const json = {
      runnerId: "r",
      gatewayInfo: { unknown: 1, gateway: { name: "eu", url: "https://gw", colour: "blue" }, latency: "1s" },
    };
    expect(cleaned(UpdateRunnerStatusRequestSchema, json)).toEqual({
      runnerId: "r",
      gatewayInfo: { gateway: { name: "eu", url: "https://gw" }, latency: "1s" },
    });
  });

  it("cleans nested messages reached under their proto names", () => {
    const json = { gateway_info: { gateway: { name: "eu", extra: 1 }, extra: 2 } };
    expect(cleaned(UpdateRunnerStatusRequestSchema, json)).toEqual({ gateway_info: { gateway: { name: "eu" } } });
  });

  it("cleans every item of a list of messages", () => {
    const json = {
      runnerId: "r",
      additionalInfo: [
        { key: "stack", value: "arn", newer: true },
        { key: "region", newer: { deep: 1 } },
      ],
    };
    expect(cleaned(UpdateRunnerStatusRequestSchema, json)).toEqual({
      runnerId: "r",
      additionalInfo: [{ key: "stack", value: "arn" }, { key: "region" }],
    });
  });

  it("cleans the set member of a oneof", () => {
    const json = {
      runnerId: "r",
      environmentClass: {
        displayName: "Large",
        description: "8 cores",
        gpu: "none",
        configuration: [{ key: "k", x: 1 }],
      },
    };
    expect(cleaned(ValidateRunnerConfigurationRequestSchema, json)).toEqual({
      runnerId: "r",
      environmentClass: { displayName: "Large", description: "8 cores", configuration: [{ key: "k" }] },
    });
  });

  it("cleans map values", () => {
    // The contract has no map of messages; a test-only type holds gitpod.v1.Subject values.
    const holder = subjectMapHolder();
    const json = {
      subjects: { alice: { id: "a", principal: "PRINCIPAL_USER", extra: 1 }, bob: { id: "b", more: { x: 1 } } },
      unknown: 1,
    };
    expect(cleaned(holder, json)).toEqual({
      subjects: { alice: { id: "a", principal: "PRINCIPAL_USER" }, bob: { id: "b" } },
    });
  });

  it("keeps the keys of a scalar map", () => {
    const json = { requestId: "x", traceContext: { traceparent: "00-abc", tracestate: "k=v" } };
    expect(cleaned(WatchRequestsResponseSchema, json)).toEqual({
      requestId: "x",
      traceContext: { traceparent: "00-abc", tracestate: "k=v" },
    });
  });

  it("leaves google.protobuf values untouched", () => {
    const json = {
      runnerId: "r",
      expiresAt: "2030-01-02T03:04:05.678Z",
      subject: { id: "s", extra: 1 },
    };
    expect(cleaned(CreateHostAuthenticationTokenRequestSchema, json)).toEqual({
      runnerId: "r",
      expiresAt: "2030-01-02T03:04:05.678Z",
      subject: { id: "s" },
    });
    const duration = { gatewayInfo: { latency: "1.500s" } };
    expect(cleaned(UpdateRunnerStatusRequestSchema, duration)).toEqual({ gatewayInfo: { latency: "1.500s" } });
  });

  it("does not look inside well-known message values, whatever their keys", () => {
    // A Timestamp written as an object is for protobuf-es to reject, not for us to rewrite.
    const timestampObject = { expiresAt: { seconds: 1, bogus: 2 } };
    expect(cleaned(CreateHostAuthenticationTokenRequestSchema, timestampObject)).toEqual({
      expiresAt: { seconds: 1, bogus: 2 },
    });
    // google.protobuf.Any keeps its "@type" and the embedded message's fields.
    const any = {
      runnerId: "r",
      error: {
        message: "no",
        details: [{ "@type": "type.googleapis.com/google.protobuf.Duration", value: "1s", other: 1 }],
        unknown: 1,
      },
    };
    expect(cleaned(SendResponseRequestSchema, any)).toEqual({
      runnerId: "r",
      error: {
        message: "no",
        details: [{ "@type": "type.googleapis.com/google.protobuf.Duration", value: "1s", other: 1 }],
      },
    });
  });

  it("keeps null values, which mean unset", () => {
    const json = { name: null, spec: null, kind: null, unknown: null };
    expect(cleaned(CreateRunnerRequestSchema, json)).toEqual({ name: null, spec: null, kind: null });
    const nested = { gatewayInfo: { gateway: null, latency: null } };
    expect(cleaned(UpdateRunnerStatusRequestSchema, nested)).toEqual({ gatewayInfo: { gateway: null, latency: null } });
    const list = { additionalInfo: [null, { key: "k", extra: 1 }] };
    expect(cleaned(UpdateRunnerStatusRequestSchema, list)).toEqual({ additionalInfo: [null, { key: "k" }] });
  });

  it("leaves input that is not an object alone", () => {
    for (const json of [null, 1, "text", true, [{ unknown: 1 }]] as JsonValue[]) {
      const before = structuredClone(json);
      expect(() => prepareJsonRequest(CreateRunnerRequestSchema, json)).not.toThrow();
      expect(json).toEqual(before);
    }
  });

  it("leaves mistyped values of known fields for the decoder to reject", () => {
    const json = { spec: "not an object", filter: 3 };
    expect(cleaned(CreateRunnerRequestSchema, json)).toEqual({ spec: "not an object" });
    const list = { additionalInfo: { key: "not a list" } };
    expect(cleaned(UpdateRunnerStatusRequestSchema, list)).toEqual({ additionalInfo: { key: "not a list" } });
  });

  it.each([
    [
      { filter: { kinds: ["RUNNER_KIND_REMOTE", "RUNNER_KIND_TYPO"] } },
      ListRunnersRequestSchema,
      'filter.kinds[1]: "RUNNER_KIND_TYPO" is not a value of gitpod.v1.RunnerKind',
    ],
    [
      { provider: "RUNNER_PROVIDER_MOON" },
      CreateRunnerRequestSchema,
      'provider: "RUNNER_PROVIDER_MOON" is not a value of gitpod.v1.RunnerProvider',
    ],
    [
      { spec: { configuration: { logLevel: "LOUD" } } },
      CreateRunnerRequestSchema,
      'spec.configuration.log_level: "LOUD" is not a value of gitpod.v1.LogLevel',
    ],
  ] as [JsonObject, Parameters<typeof prepareJsonRequest>[0], string][])(
    "rejects an undeclared enum value name, naming the field: %j",
    (json, desc, message) => {
      expect(() => prepareJsonRequest(desc, json)).toThrow(message);
    },
  );

  it("accepts declared enum names and enum numbers (numbers are checked by the field rules)", () => {
    const json: JsonObject = { filter: { kinds: ["RUNNER_KIND_LOCAL", 2, 42] } };
    prepareJsonRequest(ListRunnersRequestSchema, json);
    expect(json).toEqual({ filter: { kinds: ["RUNNER_KIND_LOCAL", 2, 42] } });
  });

  it("lets a request with unknown fields decode strictly afterwards", () => {
    const json: JsonObject = {
      pagination: { pageSize: 10, cursor: "x" },
      filter: { kinds: ["RUNNER_KIND_REMOTE"], creator_ids: ["u"], labels: { a: "b" } },
      includeDeleted: true,
    };
    expect(() => fromJson(ListRunnersRequestSchema, structuredClone(json))).toThrow();
    prepareJsonRequest(ListRunnersRequestSchema, json);
    const message = fromJson(ListRunnersRequestSchema, json);
    expect(message.pagination?.pageSize).toBe(10);
    expect(message.filter?.kinds).toEqual([RunnerKind.REMOTE]);
    expect(message.filter?.creatorIds).toEqual(["u"]);
  });
});

describe("parseJsonBody", () => {
  it("reads an empty body as the empty message", () => {
    expect(parseJsonBody(Buffer.alloc(0))).toEqual({});
  });

  it("parses a JSON body", () => {
    expect(parseJsonBody(Buffer.from('{"runnerId":"r","n":[1,2]}'))).toEqual({ runnerId: "r", n: [1, 2] });
  });

  it("decodes the body as UTF-8", () => {
    expect(parseJsonBody(Buffer.from('{"name":"Zürich 😀"}', "utf8"))).toEqual({ name: "Zürich 😀" });
  });

  it.each(["{", "{'a': 1}", "not json", '{"a":1}}', "   "])("rejects the bad JSON %j with invalid_argument", (text) => {
    let caught: unknown;
    try {
      parseJsonBody(Buffer.from(text));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConnectError);
    expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
    expect((caught as ConnectError).rawMessage).toMatch(/not valid JSON/);
  });
});

/** A request stream of `chunks` with the given headers, as readBody sees it. */
function request(chunks: string[], headers: Record<string, string> = {}): NodeRequest {
  return Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), { headers }) as unknown as NodeRequest;
}

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }
  throw new Error("expected a rejection");
}

describe("readBody", () => {
  it("returns the whole body when it is within the limit", async () => {
    const body = await readBody(request(['{"a":', "1}"], { "content-length": "7" }), 100);
    expect(body.toString()).toBe('{"a":1}');
  });

  it("accepts a body of exactly the limit", async () => {
    const body = await readBody(request(["12345", "67890"]), 10);
    expect(body.toString()).toBe("1234567890");
  });

  it("returns an empty buffer for an empty body", async () => {
    expect((await readBody(request([]), 10)).length).toBe(0);
  });

  it("refuses a declared content-length above the limit without reading the body", async () => {
    const stream = new Readable({
      read() {
        throw new Error("the body must not be read");
      },
    });
    const req = Object.assign(stream, { headers: { "content-length": "11" } }) as unknown as NodeRequest;
    const error = await rejection(readBody(req, 10));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toContain("10 bytes");
  });

  it("refuses a streamed body that grows beyond the limit", async () => {
    const error = await rejection(readBody(request(["123456", "789012"]), 10));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("refuses a body longer than its declared content-length claims, once it passes the limit", async () => {
    const error = await rejection(readBody(request(["x".repeat(8), "x".repeat(8)], { "content-length": "5" }), 10));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("counts bytes, not characters", async () => {
    const error = await rejection(readBody(request(["😀😀😀"]), 10)); // 12 bytes
    expect(error.code).toBe(Code.ResourceExhausted);
  });
});
