/**
 * The reference runner and its LLM integrations, against the real server and Postgres: it
 * reads them when it starts, follows every change the server tells it of, and opens the
 * sealed API key with its own private key; the key never shows in its log.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRunnerplaneClient, type RunnerplaneClient } from "@runnerplane/client";
import { LLMIntegrationPhase, SupportedModel } from "@runnerplane/client/gitpod/v1/model_pb";
import {
  LLMIntegrationRequestHeaderType,
  LLMProvider,
  RunnerProvider,
} from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { seedOrganization, startTestServer, type TestServer } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningRunner, startRunner } from "./runner.js";

let server: TestServer;
let stateDir: string;
let admin: RunnerplaneClient;
let runnerId: string;
let running: RunningRunner | undefined;
const runnerLog: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const org = await seedOrganization(server.sql, "LLM Runner Org");
  admin = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
  stateDir = await mkdtemp(path.join(tmpdir(), "runner-llm-"));
});
afterAll(async () => {
  await running?.stop();
  await server.close();
  await rm(stateDir, { recursive: true, force: true });
});

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 15_000, interval: 50 });

describe("the reference runner's LLM integrations", () => {
  it("reads them at start, follows every change, and opens each API key", async () => {
    const created = await admin.runners.createRunner({ name: "llm fleet", provider: RunnerProvider.AWS_EC2 });
    runnerId = created.runner?.runnerId as string;
    // The runner signs up with its key when it first starts; integrations need that key.
    running = await startRunner({
      serverUrl: server.baseUrl,
      exchangeToken: created.exchangeToken,
      stateDir,
      heartbeatMs: 1_000,
      log: (message, fields) => runnerLog.push(JSON.stringify({ message, ...fields })),
    });
    await running.stop();
    running = undefined;

    // Made while the runner is away: read when it starts again.
    const { id: first } = await admin.configuration.createLLMIntegration({
      runnerId,
      models: [SupportedModel.SONNET_4_5],
      endpoint: "https://llm.example.com/anthropic",
      apiKey: "sk-first-plaintext",
      maxTokens: 2048n,
    });
    running = await startRunner({
      serverUrl: server.baseUrl,
      stateDir,
      heartbeatMs: 1_000,
      log: (message, fields) => runnerLog.push(JSON.stringify({ message, ...fields })),
    });
    const runner = running;
    expect(runner.llmIntegrations().get(first)).toMatchObject({
      id: first,
      provider: LLMProvider.LLM_PROVIDER_ANTHROPIC,
      models: [SupportedModel.SONNET_4_5],
      endpoint: "https://llm.example.com/anthropic",
      apiKey: "sk-first-plaintext",
      maxTokens: 2048n,
      phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_AVAILABLE,
    });

    // Created while it listens: the change event brings it.
    await waitFor(async () => {
      const [row] = await server.sql<{ n: number }[]>`
        select count(*)::int as n from runner_connections where runner_id = ${runnerId}`;
      expect(row?.n).toBeGreaterThan(0);
    });
    const { id: second } = await admin.configuration.createLLMIntegration({
      runnerId,
      models: [SupportedModel.OPENAI_4O],
      endpoint: "https://llm.example.com/openai",
      apiKey: "sk-second-plaintext",
    });
    await waitFor(() => expect(runner.llmIntegrations().get(second)?.apiKey).toBe("sk-second-plaintext"));

    // Updated: a new key, headers, disabled.
    await admin.configuration.updateLLMIntegration({
      id: first,
      apiKey: "sk-rotated-plaintext",
      phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_DISABLED,
      requestHeaders: [
        {
          key: "X-Team",
          value: new TextEncoder().encode("'team-' + 'a'"),
          headerType: LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION,
        },
      ],
    });
    await waitFor(() =>
      expect(runner.llmIntegrations().get(first)).toMatchObject({
        apiKey: "sk-rotated-plaintext",
        phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_DISABLED,
        requestHeaders: [{ key: "X-Team", value: "'team-' + 'a'" }],
      }),
    );

    // Deleted: dropped.
    await admin.configuration.deleteLLMIntegration({ id: second });
    await waitFor(() => expect(runner.llmIntegrations().has(second)).toBe(false));
    expect([...runner.llmIntegrations().keys()]).toEqual([first]);

    const log = runnerLog.join("\n");
    for (const key of ["sk-first-plaintext", "sk-second-plaintext", "sk-rotated-plaintext"]) {
      expect(log).not.toContain(key);
    }
  });
});
