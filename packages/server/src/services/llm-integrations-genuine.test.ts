/**
 * A round trip of the LLM integrations with clients built from the genuine descriptors
 * (testing/genuine-descriptors.ts: wire-contract-admin.md's tables, the genuine SDK 1.0.1
 * descriptors and the earlier genuine RunnerInteractionService, completed by wire-contract.md
 * for pagination and the stream's envelope), not from this project's .proto files and with
 * none of our validation options. What the server decodes and encodes for them, over Connect
 * binary and JSON, is what a client generated from the genuine API exchanges with it.
 */
import { createRegistry, type DescMessage } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { file_gitpod_v1_model } from "@runnerplane/api/gitpod/v1/model_pb";
import { file_gitpod_v1_pagination } from "@runnerplane/api/gitpod/v1/pagination_pb";
import { file_gitpod_v1_runner_configuration } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { file_gitpod_v1_runner_interaction } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { genuineRegistry, genuineService, partialTypes, wireShape } from "../testing/genuine-descriptors.js";
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

const serviceNames = ["RunnerConfigurationService", "RunnerInteractionService"];
const registry = genuineRegistry(serviceNames);
const service = (name: string) => genuineService(registry, name);
const messageType = (name: string) => registry.getMessage(`gitpod.v1.${name}`) as DescMessage;

describe("the genuine descriptors of the LLM calls", () => {
  // Ours: the generated files (packages/api/test/wire-contract-admin.test.ts compares them with
  // the contract). A builder that misread the contract would show here, not pass vacuously.
  const ours = createRegistry(
    file_gitpod_v1_runner_configuration,
    file_gitpod_v1_runner_interaction,
    file_gitpod_v1_model,
    file_gitpod_v1_pagination,
  );

  it("describe every message the LLM calls use as ours declare them, field by field", () => {
    const compared: string[] = [];
    for (const genuine of registry) {
      if (genuine.kind !== "message" || !genuine.typeName.startsWith("gitpod.v1.")) continue;
      const our = ours.getMessage(genuine.typeName);
      expect(our, genuine.typeName).toBeDefined();
      const shapes = genuine.fields.map(wireShape);
      if (partialTypes.has(genuine.typeName)) {
        // The genuine type has more members than the contract lists: those it lists agree.
        expect(our?.fields.map(wireShape), genuine.typeName).toEqual(expect.arrayContaining(shapes));
      } else {
        expect(shapes, genuine.typeName).toEqual(our?.fields.map(wireShape));
      }
      compared.push(genuine.typeName);
    }
    expect(compared).toEqual(
      expect.arrayContaining([
        "gitpod.v1.LLMIntegration",
        "gitpod.v1.LLMIntegrationRequestHeader",
        "gitpod.v1.UpdateLLMIntegrationRequest",
        "gitpod.v1.ListRunnerLLMIntegrationsRequest.Filter",
        "gitpod.v1.EventLLMIntegrationChange",
        "gitpod.v1.WatchRequestsRequest",
        "gitpod.v1.WatchRequestsResponse",
      ]),
    );
    expect(compared.length).toBeGreaterThan(20);
  });

  it("give every enum the LLM calls use the values ours declare", () => {
    const compared: string[] = [];
    for (const genuine of registry) {
      if (genuine.kind !== "enum" || !genuine.typeName.startsWith("gitpod.v1.")) continue;
      const values = (e: typeof genuine) => e.values.map((v) => `${v.name} ${v.number}`);
      const our = ours.getEnum(genuine.typeName);
      expect(our, genuine.typeName).toBeDefined();
      expect(values(genuine), genuine.typeName).toEqual(our ? values(our) : []);
      compared.push(genuine.typeName);
    }
    expect(compared.sort()).toEqual([
      "gitpod.v1.LLMIntegrationPhase",
      "gitpod.v1.LLMIntegrationRequestHeaderType",
      "gitpod.v1.LLMProvider",
      "gitpod.v1.SupportedModel",
    ]);
  });

  it("declare the LLM methods and the stream as ours do", () => {
    const shape = (m: {
      name: string;
      methodKind: string;
      idempotency: number;
      input: DescMessage;
      output: DescMessage;
    }) => `${m.name} ${m.methodKind} ${m.idempotency} ${m.input.typeName} -> ${m.output.typeName}`;
    for (const name of serviceNames) {
      const our = ours.getService(`gitpod.v1.${name}`);
      const genuine = service(name).methods.map(shape);
      expect(our?.methods.map(shape), name).toEqual(expect.arrayContaining(genuine));
    }
    expect(
      service("RunnerInteractionService")
        .methods.map((m) => `${m.name} ${m.methodKind}`)
        .sort(),
    ).toEqual(["GetRunnerLLMIntegration unary", "ListRunnerLLMIntegrations unary", "WatchRequests server_streaming"]);
  });
});

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
