/**
 * LLM integrations over the real server and Postgres (behaviour.md §2, §7, §16;
 * docs/llm-integrations.md): the five RunnerConfigurationService methods over Connect JSON
 * and binary, their validation, the API key sealed for the runner only, the CEL check of
 * header expressions, the runner-facing calls, the change event on the runner's stream, and
 * the cascade when the runner goes.
 */
import { Code } from "@connectrpc/connect";
import { LLMIntegrationPhase, SupportedModel } from "@runnerplane/api/gitpod/v1/model_pb";
import {
  LLMIntegrationRequestHeaderType,
  LLMProvider,
  RunnerProvider,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import type { WatchRequestsResponse } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  expectNoPlaintext,
  openSealed,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";
import { unknownId } from "../testing/tenancy-server.js";

let server: TestServer;
let org: SeededOrganization;
let otherOrg: SeededOrganization;
let runner: TestRunner;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Models Inc");
  otherOrg = await seedOrganization(server.sql, "Elsewhere Ltd");
  runner = await createTestRunner(server.baseUrl, org.admin.token, { name: "llm runner" });
});
afterAll(() => server.close());

/** Every plaintext key a test sends; none may be found in the database, the logs or a response. */
const plaintextKeys: string[] = [];
let keyCounter = 0;
const freshKey = () => {
  const key = `sk-ant-test-${process.pid}-${++keyCounter}-plaintext`;
  plaintextKeys.push(key);
  return key;
};
const text = (s: string) => new TextEncoder().encode(s);
/** Every response a test received, for the plaintext check at the end. */
const responses: unknown[] = [];
const seen = <T>(value: T): T => {
  responses.push(value);
  return value;
};

const formats = [
  ["Connect JSON", { json: true }],
  ["Connect binary", { json: false }],
] as const;

describe.each(formats)("over %s", (_format, options) => {
  const as = (token: string): Clients => clientsFor(server.baseUrl, token, options);

  describe("CreateLLMIntegration", () => {
    it("stores the integration, deduces the provider and seals the key for the runner only", async () => {
      const other = await createTestRunner(server.baseUrl, org.admin.token, { name: "another runner" });
      const apiKey = freshKey();
      const { id } = seen(
        await as(org.admin.token).configuration.createLLMIntegration({
          runnerId: runner.runnerId,
          models: [SupportedModel.SONNET_4_5, SupportedModel.OPUS_4_5, SupportedModel.SONNET_4_5],
          endpoint: "https://llm.example.com/v1",
          apiKey,
          maxTokens: 8192n,
        }),
      );
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const { integration } = seen(await as(org.admin.token).configuration.getLLMIntegration({ id }));
      expect(integration).toMatchObject({
        id,
        runnerId: runner.runnerId,
        models: [SupportedModel.SONNET_4_5, SupportedModel.OPUS_4_5],
        endpoint: "https://llm.example.com/v1",
        maxTokens: 8192n,
        phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_AVAILABLE,
        phaseReason: "",
        requestHeaders: [],
        provider: LLMProvider.LLM_PROVIDER_ANTHROPIC,
      });
      const sealed = integration?.encryptedApiKey as Uint8Array;
      expect(await openSealed(runner, sealed)).toBe(apiKey);
      await expect(openSealed(other, sealed)).rejects.toThrow();
    });

    it("takes OpenAI's models as an OpenAI integration", async () => {
      const { id } = await as(org.admin.token).configuration.createLLMIntegration({
        runnerId: runner.runnerId,
        models: [SupportedModel.OPENAI_4O, SupportedModel.OPENAI_AUTO],
        endpoint: "http://openai-proxy.internal:8080",
        apiKey: freshKey(),
      });
      const { integration } = await as(org.admin.token).configuration.getLLMIntegration({ id });
      expect(integration?.provider).toBe(LLMProvider.LLM_PROVIDER_OPENAI);
      expect(integration?.maxTokens).toBe(0n);
    });

    it("refuses with failed_precondition when the runner has no public key yet, storing nothing", async () => {
      const unsigned = await createTestRunner(server.baseUrl, org.admin.token, { signUp: false });
      const error = await callError(
        as(org.admin.token).configuration.createLLMIntegration({
          runnerId: unsigned.runnerId,
          models: [SupportedModel.SONNET_4],
          endpoint: "https://llm.example.com",
          apiKey: freshKey(),
        }),
      );
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toContain("public key");
      const [row] = await server.sql<{ n: number }[]>`
        select count(*)::int as n from llm_integrations where runner_id = ${unsigned.runnerId}`;
      expect(row?.n).toBe(0);
    });

    const valid = () => ({
      runnerId: runner.runnerId,
      models: [SupportedModel.SONNET_4],
      endpoint: "https://llm.example.com",
      apiKey: "sk-never-stored",
    });
    it.each<[string, Partial<ReturnType<typeof valid>> & { maxTokens?: bigint }, string]>([
      ["runner_id", { runnerId: "not-a-uuid" }, "runner_id: value must be a valid UUID"],
      ["models", { models: [] }, "models"],
      ["models", { models: [9999 as SupportedModel] }, "models"],
      ["models", { models: [SupportedModel.SONNET_4, SupportedModel.OPENAI_4O] }, "same provider"],
      ["endpoint", { endpoint: "" }, "endpoint: value is required"],
      ["endpoint", { endpoint: "llm.example.com" }, "endpoint: must be an absolute http or https URL"],
      ["endpoint", { endpoint: "ftp://llm.example.com" }, "endpoint: must be an absolute http or https URL"],
      ["endpoint", { endpoint: "https://user:pw@llm.example.com" }, "endpoint: must not contain credentials"],
      ["api_key", { apiKey: "" }, "api_key: value is required"],
      ["max_tokens", { maxTokens: 2n ** 63n }, "max_tokens: at most"],
    ])("rejects a bad %s with invalid_argument naming it", async (field, change, message) => {
      const error = await callError(as(org.admin.token).configuration.createLLMIntegration({ ...valid(), ...change }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(field);
      expect(error.rawMessage).toContain(message);
    });

    it("lets only runner admins create: a member is refused, another org sees no runner", async () => {
      const member = await callError(as(org.member.token).configuration.createLLMIntegration(valid()));
      expect(member.code).toBe(Code.PermissionDenied);
      const stranger = await callError(as(otherOrg.admin.token).configuration.createLLMIntegration(valid()));
      expect(stranger.code).toBe(Code.NotFound);
    });
  });

  describe("GetLLMIntegration", () => {
    it("lets runner users read, and hides the integration from other orgs and unknown ids alike", async () => {
      const { id } = await as(org.admin.token).configuration.createLLMIntegration({
        runnerId: runner.runnerId,
        models: [SupportedModel.HAIKU_4_5],
        endpoint: "https://llm.example.com",
        apiKey: freshKey(),
      });
      const { integration } = seen(await as(org.member.token).configuration.getLLMIntegration({ id }));
      expect(integration?.id).toBe(id);
      const stranger = await callError(as(otherOrg.admin.token).configuration.getLLMIntegration({ id }));
      const unknown = await callError(as(org.admin.token).configuration.getLLMIntegration({ id: unknownId }));
      expect(stranger.code).toBe(Code.NotFound);
      expect(unknown.code).toBe(Code.NotFound);
      expect(stranger.rawMessage.replace(id, unknownId)).toBe(unknown.rawMessage);
    });
  });

  describe("UpdateLLMIntegration", () => {
    const make = async () =>
      (
        await as(org.admin.token).configuration.createLLMIntegration({
          runnerId: runner.runnerId,
          models: [SupportedModel.SONNET_4],
          endpoint: "https://before.example.com",
          apiKey: freshKey(),
          maxTokens: 100n,
        })
      ).id;
    const read = async (id: string) => {
      const { integration } = seen(await as(org.admin.token).configuration.getLLMIntegration({ id }));
      if (!integration) throw new Error("no integration");
      return integration;
    };

    it("changes only the fields present, and seals a new key again", async () => {
      const id = await make();
      const before = await read(id);
      await as(org.admin.token).configuration.updateLLMIntegration({ id, endpoint: "https://after.example.com" });
      expect(await read(id)).toMatchObject({
        endpoint: "https://after.example.com",
        models: [SupportedModel.SONNET_4],
        maxTokens: 100n,
        encryptedApiKey: before.encryptedApiKey,
      });
      const newKey = freshKey();
      await as(org.admin.token).configuration.updateLLMIntegration({
        id,
        apiKey: newKey,
        maxTokens: 0n,
        models: [SupportedModel.OPENAI_O1],
        phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_DISABLED,
      });
      const after = await read(id);
      expect(after).toMatchObject({
        endpoint: "https://after.example.com",
        models: [SupportedModel.OPENAI_O1],
        provider: LLMProvider.LLM_PROVIDER_OPENAI,
        maxTokens: 0n,
        phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_DISABLED,
      });
      expect(await openSealed(runner, after.encryptedApiKey)).toBe(newKey);
    });

    it("keeps both of two concurrent updates of different fields", async () => {
      const id = await make();
      const admin = as(org.admin.token).configuration;
      await Promise.all([
        admin.updateLLMIntegration({ id, endpoint: "https://concurrent.example.com" }),
        admin.updateLLMIntegration({ id, maxTokens: 777n }),
        admin.updateLLMIntegration({ id, phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_UNAVAILABLE }),
      ]);
      expect(await read(id)).toMatchObject({
        endpoint: "https://concurrent.example.com",
        maxTokens: 777n,
        phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_UNAVAILABLE,
      });
    });

    it("stores literal and CEL request headers, and an empty list leaves them as they are", async () => {
      const id = await make();
      const headers = [
        {
          key: "X-Team",
          value: text("platform"),
          headerType: LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_LITERAL,
        },
        {
          key: "X-User",
          value: text('"user-" + request.principal_id'),
          headerType: LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION,
        },
      ];
      await as(org.admin.token).configuration.updateLLMIntegration({ id, requestHeaders: headers });
      expect((await read(id)).requestHeaders).toMatchObject(headers);
      await as(org.admin.token).configuration.updateLLMIntegration({ id, maxTokens: 5n });
      expect((await read(id)).requestHeaders).toMatchObject(headers);
    });

    it("rejects a CEL header that does not parse, naming the header, and changes nothing", async () => {
      const id = await make();
      const error = await callError(
        as(org.admin.token).configuration.updateLLMIntegration({
          id,
          endpoint: "https://changed.example.com",
          requestHeaders: [
            {
              key: "X-Fine",
              value: text("'ok'"),
              headerType: LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION,
            },
            {
              key: "X-Broken",
              value: text('"user-" +'),
              headerType: LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION,
            },
          ],
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain("request_headers[1] (X-Broken).value: not a valid CEL expression");
      expect(error.rawMessage).not.toContain("X-Fine");
      expect(await read(id)).toMatchObject({ endpoint: "https://before.example.com", requestHeaders: [] });
    });

    it.each([
      [
        "a header name that is not a token",
        [{ key: "X Bad", value: text("v"), headerType: 1 }],
        "request_headers[0].key: must be a valid HTTP header name",
      ],
      [
        "the same header twice",
        [
          { key: "X-A", value: text("1"), headerType: 1 },
          { key: "x-a", value: text("2"), headerType: 1 },
        ],
        "request_headers[1].key: header x-a is given twice",
      ],
      [
        "a literal with a line break",
        [{ key: "X-A", value: text("a\r\nInjected: yes"), headerType: 1 }],
        "request_headers[0] (X-A).value: a header value cannot contain line breaks",
      ],
      [
        "a header without a type",
        [{ key: "X-A", value: text("a"), headerType: 0 }],
        "request_headers[0] (X-A).header_type",
      ],
    ] as const)("rejects %s", async (_what, requestHeaders, message) => {
      const id = await make();
      const error = await callError(
        as(org.admin.token).configuration.updateLLMIntegration({ id, requestHeaders: [...requestHeaders] }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(message);
    });

    it.each<
      [string, { apiKey?: string; phase?: LLMIntegrationPhase; endpoint?: string; models?: SupportedModel[] }, string]
    >([
      ["an empty api_key", { apiKey: "" }, "api_key: must not be empty when given"],
      ["an unspecified phase", { phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_UNSPECIFIED }, "phase: must be"],
      ["an endpoint that is no URL", { endpoint: "nope" }, "endpoint: must be an absolute"],
      ["models of two providers", { models: [SupportedModel.OPUS_4, SupportedModel.OPENAI_4O] }, "models:"],
    ])("rejects %s", async (_what, change, message) => {
      const id = await make();
      const error = await callError(as(org.admin.token).configuration.updateLLMIntegration({ id, ...change }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(message);
    });

    it("lets only runner admins update", async () => {
      const id = await make();
      const member = await callError(as(org.member.token).configuration.updateLLMIntegration({ id, maxTokens: 1n }));
      expect(member.code).toBe(Code.PermissionDenied);
      const stranger = await callError(
        as(otherOrg.admin.token).configuration.updateLLMIntegration({ id, maxTokens: 1n }),
      );
      expect(stranger.code).toBe(Code.NotFound);
      expect((await read(id)).maxTokens).toBe(100n);
    });
  });

  describe("DeleteLLMIntegration", () => {
    it("removes the integration; deleting it again is not_found", async () => {
      const { id } = await as(org.admin.token).configuration.createLLMIntegration({
        runnerId: runner.runnerId,
        models: [SupportedModel.OPUS_4_6],
        endpoint: "https://llm.example.com",
        apiKey: freshKey(),
      });
      const member = await callError(as(org.member.token).configuration.deleteLLMIntegration({ id }));
      expect(member.code).toBe(Code.PermissionDenied);
      await as(org.admin.token).configuration.deleteLLMIntegration({ id, force: true });
      expect((await callError(as(org.admin.token).configuration.getLLMIntegration({ id }))).code).toBe(Code.NotFound);
      expect((await callError(as(org.admin.token).configuration.deleteLLMIntegration({ id }))).code).toBe(
        Code.NotFound,
      );
    });
  });

  describe("ListLLMIntegrations", () => {
    it("pages in creation order without repeats or gaps when rows are added between pages", async () => {
      const fleet = await createTestRunner(server.baseUrl, org.admin.token, { name: "paged runner" });
      const make = async () =>
        (
          await as(org.admin.token).configuration.createLLMIntegration({
            runnerId: fleet.runnerId,
            models: [SupportedModel.SONNET_4],
            endpoint: "https://llm.example.com",
            apiKey: freshKey(),
          })
        ).id;
      const ids = [await make(), await make(), await make()];
      const filter = { runnerIds: [fleet.runnerId] };
      const list = (token = "") =>
        as(org.admin.token).configuration.listLLMIntegrations({ filter, pagination: { pageSize: 2, token } });
      const first = seen(await list());
      expect(first.integrations).toHaveLength(2);
      expect(first.llmManagedByOna).toBe(false);
      expect(first.onaIntelligenceProviders).toEqual([]);
      ids.push(await make());
      const second = await list(first.pagination?.nextToken);
      const third = second.pagination?.nextToken ? await list(second.pagination.nextToken) : undefined;
      expect(third?.pagination?.nextToken ?? "").toBe("");
      const paged = [first, second, ...(third ? [third] : [])].flatMap((p) => p.integrations.map((i) => i.id));
      // Every integration once, in (created_at, id) order, the one added between pages included.
      expect([...paged].sort()).toEqual([...ids].sort());
      const { integrations: all } = await as(org.admin.token).configuration.listLLMIntegrations({ filter });
      expect(paged).toEqual(all.map((i) => i.id));
      // The token belongs to its filter.
      const reused = await callError(
        as(org.admin.token).configuration.listLLMIntegrations({
          pagination: { pageSize: 2, token: first.pagination?.nextToken ?? "" },
        }),
      );
      expect(reused.code).toBe(Code.InvalidArgument);
    });

    it("shows runner users the integrations of the runners they can see, and other orgs nothing", async () => {
      const laptop = await createTestRunner(server.baseUrl, org.member.token, {
        name: "member laptop",
        provider: RunnerProvider.LINUX_HOST,
      });
      const { id } = await as(org.member.token).configuration.createLLMIntegration({
        runnerId: laptop.runnerId,
        models: [SupportedModel.SONNET_4],
        endpoint: "https://llm.example.com",
        apiKey: freshKey(),
      });
      const ofMember = await as(org.member.token).configuration.listLLMIntegrations({
        filter: { runnerIds: [laptop.runnerId, runner.runnerId] },
        pagination: { pageSize: 100 },
      });
      expect(ofMember.integrations.map((i) => i.runnerId)).toContain(runner.runnerId);
      expect(ofMember.integrations.map((i) => i.id)).toContain(id);
      const stranger = await as(otherOrg.admin.token).configuration.listLLMIntegrations({});
      expect(stranger.integrations).toEqual([]);
      // A user runner is its creator's (and org admins'): the service account of the org cannot see it.
      const robot = await as(org.serviceAccount.token).configuration.listLLMIntegrations({
        filter: { runnerIds: [laptop.runnerId] },
      });
      expect(robot.integrations).toEqual([]);
    });
  });

  describe("the runner's own calls", () => {
    it("lets the runner list and get its integrations, filtered by model, and nobody else's", async () => {
      const own = await createTestRunner(server.baseUrl, org.admin.token, { name: "self reader" });
      const apiKey = freshKey();
      const sonnet = await as(org.admin.token).configuration.createLLMIntegration({
        runnerId: own.runnerId,
        models: [SupportedModel.SONNET_4, SupportedModel.OPUS_4],
        endpoint: "https://llm.example.com",
        apiKey,
      });
      const openai = await as(org.admin.token).configuration.createLLMIntegration({
        runnerId: own.runnerId,
        models: [SupportedModel.OPENAI_4O],
        endpoint: "https://llm.example.com",
        apiKey: freshKey(),
      });
      const self = clientsFor(server.baseUrl, own.token, options).interaction;
      const all = seen(await self.listRunnerLLMIntegrations({ runnerId: own.runnerId }));
      expect(all.llmIntegrations.map((i) => i.id)).toEqual([sonnet.id, openai.id]);
      const opus = await self.listRunnerLLMIntegrations({
        runnerId: own.runnerId,
        filter: { supportedModels: [SupportedModel.OPUS_4, SupportedModel.HAIKU_4_5] },
      });
      expect(opus.llmIntegrations.map((i) => i.id)).toEqual([sonnet.id]);
      const { llmIntegration } = seen(
        await self.getRunnerLLMIntegration({ runnerId: own.runnerId, llmIntegrationId: sonnet.id }),
      );
      expect(await openSealed(own, llmIntegration?.encryptedApiKey as Uint8Array)).toBe(apiKey);

      // Another runner's integration does not exist for it; another runner's id neither.
      const elsewhere = await self
        .getRunnerLLMIntegration({ runnerId: own.runnerId, llmIntegrationId: unknownId })
        .then(() => "ok")
        .catch((e: unknown) => (e as { code: Code }).code);
      expect(elsewhere).toBe(Code.NotFound);
      const notMine = await callError(
        self.getRunnerLLMIntegration({ runnerId: runner.runnerId, llmIntegrationId: sonnet.id }),
      );
      expect(notMine.code).toBe(Code.NotFound);
      const listOther = await callError(self.listRunnerLLMIntegrations({ runnerId: runner.runnerId }));
      expect(listOther.code).toBe(Code.NotFound);
      // Users cannot call the runner's methods at all.
      const user = await callError(
        as(org.admin.token).interaction.listRunnerLLMIntegrations({ runnerId: own.runnerId }),
      );
      expect(user.code).toBe(Code.PermissionDenied);
    });
  });
});

describe("as a published HTTP SDK calls it", () => {
  const post = async (method: string, body: unknown, query = "") => {
    const res = await fetch(`${server.baseUrl}/api/gitpod.v1.${method}${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("answers in the proto3 JSON shape: enum names, uint64 as a string, the sealed key as base64", async () => {
    const apiKey = freshKey();
    const created = await post("RunnerConfigurationService/CreateLLMIntegration", {
      runner_id: runner.runnerId,
      models: ["SUPPORTED_MODEL_SONNET_4_5", "SUPPORTED_MODEL_HAIKU_4_5"],
      endpoint: "https://llm.example.com",
      api_key: apiKey,
      max_tokens: "9007199254740993",
    });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    await post("RunnerConfigurationService/UpdateLLMIntegration", {
      id,
      requestHeaders: [
        {
          key: "X-Team",
          value: Buffer.from("'a'").toString("base64"),
          headerType: "LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION",
        },
      ],
    });
    // GetLLMIntegration has no side effects, so Connect serves it over GET too.
    const message = encodeURIComponent(JSON.stringify({ id }));
    const res = await fetch(
      `${server.baseUrl}/api/gitpod.v1.RunnerConfigurationService/GetLLMIntegration?connect=v1&encoding=json&message=${message}`,
      { headers: { authorization: `Bearer ${org.admin.token}` } },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { integration: Record<string, unknown> };
    responses.push(body);
    expect(body.integration).toMatchObject({
      id,
      runnerId: runner.runnerId,
      models: ["SUPPORTED_MODEL_SONNET_4_5", "SUPPORTED_MODEL_HAIKU_4_5"],
      endpoint: "https://llm.example.com",
      maxTokens: "9007199254740993",
      phase: "LLM_INTEGRATION_PHASE_AVAILABLE",
      provider: "LLM_PROVIDER_ANTHROPIC",
      requestHeaders: [{ key: "X-Team", headerType: "LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION" }],
    });
    const sealed = Buffer.from(body.integration.encryptedApiKey as string, "base64");
    expect(await openSealed(runner, new Uint8Array(sealed))).toBe(apiKey);

    const typo = await post("RunnerConfigurationService/CreateLLMIntegration", {
      runnerId: runner.runnerId,
      models: ["SUPPORTED_MODEL_TYPO"],
      endpoint: "https://llm.example.com",
      apiKey: freshKey(),
    });
    expect(typo.status).toBe(400);
    expect(typo.body.code).toBe("invalid_argument");
  });
});

describe("the change event", () => {
  it("reaches the connected runner on create, update and delete, naming the integration", async () => {
    const watched = await createTestRunner(server.baseUrl, org.admin.token, { name: "watched runner" });
    const received: WatchRequestsResponse[] = [];
    const abort = new AbortController();
    const loop = (async () => {
      try {
        for await (const m of watched.clients.interaction.watchRequests(
          { runnerId: watched.runnerId },
          { signal: abort.signal },
        )) {
          received.push(m);
        }
      } catch {
        // aborted at the end
      }
    })();
    await vi.waitFor(
      async () => {
        const [row] = await server.sql<{ n: number }[]>`
          select count(*)::int as n from runner_connections where runner_id = ${watched.runnerId}`;
        expect(row?.n).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 50 },
    );
    const events = (id: string) =>
      received.filter((m) => m.request.case === "eventLlmIntegrationChange" && m.request.value.llmIntegrationId === id)
        .length;
    const admin = clientsFor(server.baseUrl, org.admin.token);
    const { id } = await admin.configuration.createLLMIntegration({
      runnerId: watched.runnerId,
      models: [SupportedModel.SONNET_4],
      endpoint: "https://llm.example.com",
      apiKey: freshKey(),
    });
    await vi.waitFor(() => expect(events(id)).toBe(1), { timeout: 10_000, interval: 20 });
    await admin.configuration.updateLLMIntegration({ id, maxTokens: 42n });
    await vi.waitFor(() => expect(events(id)).toBe(2), { timeout: 10_000, interval: 20 });
    await admin.configuration.deleteLLMIntegration({ id });
    await vi.waitFor(() => expect(events(id)).toBe(3), { timeout: 10_000, interval: 20 });
    abort.abort();
    await loop;
  });
});

describe("deleting the runner", () => {
  it("removes its integrations", async () => {
    const leaving = await createTestRunner(server.baseUrl, org.admin.token, { name: "leaving runner" });
    const admin = clientsFor(server.baseUrl, org.admin.token);
    const { id } = await admin.configuration.createLLMIntegration({
      runnerId: leaving.runnerId,
      models: [SupportedModel.SONNET_4],
      endpoint: "https://llm.example.com",
      apiKey: freshKey(),
    });
    await admin.runners.deleteRunner({ runnerId: leaving.runnerId, force: true });
    expect((await callError(admin.configuration.getLLMIntegration({ id }))).code).toBe(Code.NotFound);
    const [row] = await server.sql<{ n: number }[]>`
      select count(*)::int as n from llm_integrations where runner_id = ${leaving.runnerId}`;
    expect(row?.n).toBe(0);
  });
});

describe("the plaintext API key", () => {
  it("appears nowhere: not in the database, the logs or any response", async () => {
    expect(plaintextKeys.length).toBeGreaterThan(5);
    const rows = await server.sql<Record<string, unknown>[]>`select * from llm_integrations`;
    expect(rows.length).toBeGreaterThan(0);
    expectNoPlaintext(rows, plaintextKeys);
    // One rendering of all log lines keeps the scan quick.
    expectNoPlaintext([{ logs: JSON.stringify(server.logs) }], plaintextKeys);
    const rendered = responses.map((r) =>
      JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    );
    expectNoPlaintext(
      rendered.map((r) => ({ r })),
      plaintextKeys,
    );
  });
});
