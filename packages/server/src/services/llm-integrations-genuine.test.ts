/**
 * A round trip of the LLM integrations with clients built from the genuine definitions, not
 * from this project's .proto files: the descriptors below are transcribed from
 * wire-contract-admin.md (the genuine SDK 1.0.1 descriptors, and the earlier genuine
 * RunnerInteractionService) and wire-contract.md (pagination, the stream's envelope), with
 * none of our validation options. What the server decodes and encodes for them, over Connect
 * binary and JSON, is what a client generated from the genuine API exchanges with it.
 */
import {
  create,
  createFileRegistry,
  type DescMessage,
  type DescService,
  type FileRegistry,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  type DescriptorProtoSchema,
  type FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  MethodOptions_IdempotencyLevel,
  FieldDescriptorProto_Type as Type,
} from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  bearer,
  createTestRunner,
  openSealed,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";

type DescriptorInit = MessageInitShape<typeof DescriptorProtoSchema>;
type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>;
type FieldSpec = [number, string, Type | string, ("repeated" | "optional" | `oneof:${string}`)?];

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function message(
  name: string,
  fields: FieldSpec[],
  nested: DescriptorInit[] = [],
  reserved: { start: number; end: number }[] = [],
): DescriptorInit {
  const oneofs: string[] = [];
  const field = fields.map(([number, fieldName, type, label]): FieldInit => {
    const isRef = typeof type === "string";
    const ref = isRef ? (type as string) : "";
    const spec: FieldInit = {
      name: fieldName,
      number,
      jsonName: camel(fieldName),
      label: label === "repeated" ? Label.REPEATED : Label.OPTIONAL,
      type: isRef ? (ref.startsWith("enum:") ? Type.ENUM : Type.MESSAGE) : (type as Type),
      ...(isRef ? { typeName: `.gitpod.v1.${ref.replace(/^enum:/, "")}` } : {}),
    };
    if (label === "optional" || label?.startsWith("oneof:")) {
      const oneof = label === "optional" ? `_${fieldName}` : label.slice("oneof:".length);
      if (!oneofs.includes(oneof)) oneofs.push(oneof);
      Object.assign(spec, { oneofIndex: oneofs.indexOf(oneof), proto3Optional: label === "optional" });
    }
    return spec;
  });
  // proto3 wants synthetic oneofs after the real ones.
  const order = [...oneofs].sort((a, b) => Number(a.startsWith("_")) - Number(b.startsWith("_")));
  for (const f of field) if (f.oneofIndex !== undefined) f.oneofIndex = order.indexOf(oneofs[f.oneofIndex] as string);
  return { name, field, oneofDecl: order.map((n) => ({ name: n })), nestedType: nested, reservedRange: reserved };
}

const values = (prefix: string, entries: Record<string, number>) =>
  Object.entries(entries).map(([n, number]) => ({ name: `${prefix}_${n}`, number }));
const noSideEffects = { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS };

/** The genuine definitions of everything the round trip touches, in one file of package gitpod.v1. */
function genuineRegistry(): FileRegistry {
  return createFileRegistry(
    create(FileDescriptorProtoSchema, {
      name: "genuine/gitpod_v1_llm.proto",
      package: "gitpod.v1",
      syntax: "proto3",
      enumType: [
        {
          name: "SupportedModel",
          value: values("SUPPORTED_MODEL", {
            UNSPECIFIED: 0,
            SONNET_3_5: 1,
            SONNET_3_7: 2,
            SONNET_3_7_EXTENDED: 3,
            SONNET_4: 4,
            SONNET_4_EXTENDED: 5,
            SONNET_4_5: 8,
            SONNET_4_5_EXTENDED: 9,
            SONNET_4_6: 18,
            SONNET_4_6_EXTENDED: 19,
            SONNET_5: 32,
            OPUS_4: 6,
            OPUS_4_EXTENDED: 7,
            OPUS_4_5: 14,
            OPUS_4_5_EXTENDED: 15,
            OPUS_4_6: 16,
            OPUS_4_6_EXTENDED: 17,
            OPUS_4_7: 22,
            OPUS_4_8: 31,
            HAIKU_4_5: 21,
            OPENAI_4O: 10,
            OPENAI_4O_MINI: 11,
            OPENAI_O1: 12,
            OPENAI_O1_MINI: 13,
            OPENAI_AUTO: 23,
          }),
        },
        {
          name: "LLMIntegrationPhase",
          value: values("LLM_INTEGRATION_PHASE", { UNSPECIFIED: 0, AVAILABLE: 1, UNAVAILABLE: 2, DISABLED: 3 }),
        },
        {
          name: "LLMIntegrationRequestHeaderType",
          value: values("LLM_INTEGRATION_REQUEST_HEADER_TYPE", { UNSPECIFIED: 0, LITERAL: 1, CEL_EXPRESSION: 2 }),
        },
        { name: "LLMProvider", value: values("LLM_PROVIDER", { UNSPECIFIED: 0, ANTHROPIC: 1, OPENAI: 2 }) },
      ],
      messageType: [
        message("PaginationRequest", [
          [1, "page_size", Type.INT32],
          [2, "token", Type.STRING],
        ]),
        message("PaginationResponse", [[1, "next_token", Type.STRING]]),
        message("LLMIntegrationRequestHeader", [
          [1, "key", Type.STRING],
          [2, "value", Type.BYTES],
          [3, "header_type", "enum:LLMIntegrationRequestHeaderType"],
        ]),
        message(
          "LLMIntegration",
          [
            [1, "id", Type.STRING],
            [2, "runner_id", Type.STRING],
            [3, "models", "enum:SupportedModel", "repeated"],
            [4, "endpoint", Type.STRING],
            [5, "encrypted_api_key", Type.BYTES],
            [6, "max_tokens", Type.UINT64],
            [7, "phase", "enum:LLMIntegrationPhase"],
            [8, "phase_reason", Type.STRING],
            [9, "request_headers", "LLMIntegrationRequestHeader", "repeated"],
            [11, "provider", "enum:LLMProvider"],
          ],
          [],
          [{ start: 10, end: 11 }],
        ),
        message("CreateLLMIntegrationRequest", [
          [1, "runner_id", Type.STRING],
          [2, "models", "enum:SupportedModel", "repeated"],
          [3, "endpoint", Type.STRING],
          [4, "api_key", Type.STRING],
          [5, "max_tokens", Type.UINT64],
        ]),
        message("CreateLLMIntegrationResponse", [[1, "id", Type.STRING]]),
        message("GetLLMIntegrationRequest", [[1, "id", Type.STRING]]),
        message("GetLLMIntegrationResponse", [[1, "integration", "LLMIntegration"]]),
        message(
          "ListLLMIntegrationsRequest",
          [
            [1, "pagination", "PaginationRequest"],
            [2, "filter", "ListLLMIntegrationsRequest.Filter"],
          ],
          [message("Filter", [[1, "runner_ids", Type.STRING, "repeated"]])],
        ),
        message("ListLLMIntegrationsResponse", [
          [1, "pagination", "PaginationResponse"],
          [2, "integrations", "LLMIntegration", "repeated"],
          [3, "llm_managed_by_ona", Type.BOOL],
          [4, "ona_intelligence_providers", "enum:LLMProvider", "repeated"],
        ]),
        message("UpdateLLMIntegrationRequest", [
          [1, "id", Type.STRING],
          [2, "endpoint", Type.STRING, "optional"],
          [3, "models", "enum:SupportedModel", "repeated"],
          [4, "api_key", Type.STRING, "optional"],
          [5, "max_tokens", Type.UINT64, "optional"],
          [6, "phase", "enum:LLMIntegrationPhase", "optional"],
          [7, "request_headers", "LLMIntegrationRequestHeader", "repeated"],
        ]),
        message("UpdateLLMIntegrationResponse", []),
        message("DeleteLLMIntegrationRequest", [
          [1, "id", Type.STRING],
          [2, "force", Type.BOOL],
        ]),
        message("DeleteLLMIntegrationResponse", []),
        // RunnerInteractionService (earlier genuine descriptors).
        message("WatchRequestsRequest", [
          [1, "runner_id", Type.STRING],
          [2, "shard_ids", Type.INT32, "repeated"],
          [3, "worker_id", Type.STRING],
        ]),
        message("EventLLMIntegrationChange", [[1, "llm_integration_id", Type.STRING]]),
        // Only the envelope and the LLM member of oneof request: other members arrive as unknown fields.
        message("WatchRequestsResponse", [
          [1, "request_id", Type.STRING],
          [15, "event_llm_integration_change", "EventLLMIntegrationChange", "oneof:request"],
        ]),
        message("GetRunnerLLMIntegrationRequest", [
          [1, "runner_id", Type.STRING],
          [2, "llm_integration_id", Type.STRING],
        ]),
        message("GetRunnerLLMIntegrationResponse", [[1, "llm_integration", "LLMIntegration"]]),
        message(
          "ListRunnerLLMIntegrationsRequest",
          [
            [1, "pagination", "PaginationRequest"],
            [2, "runner_id", Type.STRING],
            [3, "filter", "ListRunnerLLMIntegrationsRequest.Filter"],
          ],
          [message("Filter", [[1, "supported_models", "enum:SupportedModel", "repeated"]])],
        ),
        message("ListRunnerLLMIntegrationsResponse", [
          [1, "pagination", "PaginationResponse"],
          [2, "llm_integrations", "LLMIntegration", "repeated"],
        ]),
      ],
      service: [
        {
          name: "RunnerConfigurationService",
          method: [
            ["CreateLLMIntegration", false],
            ["GetLLMIntegration", true],
            ["ListLLMIntegrations", true],
            ["UpdateLLMIntegration", false],
            ["DeleteLLMIntegration", false],
          ].map(([name, get]) => ({
            name: name as string,
            inputType: `.gitpod.v1.${name}Request`,
            outputType: `.gitpod.v1.${name}Response`,
            ...(get ? { options: noSideEffects } : {}),
          })),
        },
        {
          name: "RunnerInteractionService",
          method: [
            {
              name: "WatchRequests",
              inputType: ".gitpod.v1.WatchRequestsRequest",
              outputType: ".gitpod.v1.WatchRequestsResponse",
              serverStreaming: true,
            },
            ...["GetRunnerLLMIntegration", "ListRunnerLLMIntegrations"].map((name) => ({
              name,
              inputType: `.gitpod.v1.${name}Request`,
              outputType: `.gitpod.v1.${name}Response`,
              options: noSideEffects,
            })),
          ],
        },
      ],
    }),
    // Nothing to import: the file is self-contained.
    () => undefined,
  );
}

/** A message of the genuine definitions, read as plain fields. */
type Fields = Record<string, unknown>;
type Unary = (request: Fields) => Promise<Fields>;
type Stream = (request: Fields, options: { signal: AbortSignal }) => AsyncIterable<Fields>;

interface GenuineConfiguration {
  createLLMIntegration: Unary;
  getLLMIntegration: Unary;
  listLLMIntegrations: Unary;
  updateLLMIntegration: Unary;
  deleteLLMIntegration: Unary;
}
interface GenuineInteraction {
  watchRequests: Stream;
  getRunnerLLMIntegration: Unary;
  listRunnerLLMIntegrations: Unary;
}

const registry = genuineRegistry();
const service = (name: string) => registry.getService(`gitpod.v1.${name}`) as DescService;
const messageType = (name: string) => registry.getMessage(`gitpod.v1.${name}`) as DescMessage;

function genuineClients(baseUrl: string, token: string, json: boolean) {
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    useBinaryFormat: !json,
    interceptors: [bearer(token)],
  });
  return {
    configuration: createClient(service("RunnerConfigurationService"), transport) as unknown as GenuineConfiguration,
    interaction: createClient(service("RunnerInteractionService"), transport) as unknown as GenuineInteraction,
  };
}

let server: TestServer;
let org: SeededOrganization;
let runner: TestRunner;
beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Genuine Clients Co");
  runner = await createTestRunner(server.baseUrl, org.admin.token, { name: "genuine runner" });
});
afterAll(() => server.close());

describe.each([
  ["Connect binary", false],
  ["Connect JSON", true],
])("LLM integrations with clients built from the genuine descriptors, over %s", (_name, json) => {
  it("creates, reads, lists, updates and deletes, and the runner reads and hears of it", async () => {
    expect(messageType("LLMIntegration").fields.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    const admin = genuineClients(server.baseUrl, org.admin.token, json);
    const self = genuineClients(server.baseUrl, runner.token, json);

    // The runner listens first, so it hears every change.
    const heard: string[] = [];
    const abort = new AbortController();
    const watch = self.interaction.watchRequests;
    const listening = (async () => {
      try {
        for await (const m of watch({ runnerId: runner.runnerId }, { signal: abort.signal })) {
          const request = m.request as { case?: string; value?: Fields };
          if (request.case === "eventLlmIntegrationChange") heard.push(String(request.value?.llmIntegrationId));
        }
      } catch {
        // aborted at the end
      }
    })();
    await vi.waitFor(
      async () => {
        const [row] = await server.sql<{ n: number }[]>`
          select count(*)::int as n from runner_connections where runner_id = ${runner.runnerId}`;
        expect(row?.n).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 50 },
    );

    const apiKey = `sk-genuine-${json ? "json" : "binary"}`;
    const { id } = await admin.configuration.createLLMIntegration({
      runnerId: runner.runnerId,
      models: [4, 14], // SONNET_4, OPUS_4_5
      endpoint: "https://llm.genuine.example",
      apiKey,
      maxTokens: 4096n,
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await vi.waitFor(() => expect(heard).toContain(id), { timeout: 10_000, interval: 20 });

    const { integration } = (await admin.configuration.getLLMIntegration({ id })) as { integration: Fields };
    expect(integration).toMatchObject({
      id,
      runnerId: runner.runnerId,
      models: [4, 14],
      endpoint: "https://llm.genuine.example",
      maxTokens: 4096n,
      phase: 1, // AVAILABLE
      provider: 1, // ANTHROPIC
      requestHeaders: [],
    });
    expect(await openSealed(runner, integration.encryptedApiKey as Uint8Array)).toBe(apiKey);

    await admin.configuration.updateLLMIntegration({
      id,
      phase: 3, // DISABLED
      requestHeaders: [{ key: "X-Who", value: new TextEncoder().encode("'runner-' + 'x'"), headerType: 2 }],
    });
    const listed = (await admin.configuration.listLLMIntegrations({
      filter: { runnerIds: [runner.runnerId] },
      pagination: { pageSize: 10 },
    })) as { integrations: Fields[]; llmManagedByOna: boolean };
    expect(listed.integrations.map((i) => i.id)).toContain(id);
    expect(listed.integrations.find((i) => i.id === id)).toMatchObject({
      phase: 3,
      requestHeaders: [{ key: "X-Who", headerType: 2 }],
    });

    const own = (await self.interaction.getRunnerLLMIntegration({
      runnerId: runner.runnerId,
      llmIntegrationId: id,
    })) as { llmIntegration: Fields };
    expect(await openSealed(runner, own.llmIntegration.encryptedApiKey as Uint8Array)).toBe(apiKey);
    const byModel = (await self.interaction.listRunnerLLMIntegrations({
      runnerId: runner.runnerId,
      filter: { supportedModels: [14] },
    })) as { llmIntegrations: Fields[] };
    expect(byModel.llmIntegrations.map((i) => i.id)).toContain(id);

    await admin.configuration.deleteLLMIntegration({ id, force: false });
    await vi.waitFor(() => expect(heard.filter((h) => h === id)).toHaveLength(3), { timeout: 10_000, interval: 20 });
    const gone = await admin.configuration.getLLMIntegration({ id }).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 5 }); // NOT_FOUND
    abort.abort();
    await listening;
  });
});
