/**
 * The runner's LLM integrations (behaviour.md §16): read in full at start and after every
 * reconnect (events may have been missed meanwhile), and one at a time when the server says
 * one changed. The API key arrives sealed with the runner's public key; it is opened here
 * with the private key and kept in memory only, never logged.
 */
import { Code, errorCode, listAll, type RunnerplaneClient } from "@runnerplane/client";
import type { LLMIntegrationPhase, SupportedModel } from "@runnerplane/client/gitpod/v1/model_pb";
import type {
  LLMIntegration,
  LLMIntegrationRequestHeaderType,
  LLMProvider,
} from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { type KeyPair, openSealed } from "./state.js";

/** An integration as the runner uses it: the API key opened. */
export interface RunnerLlmIntegration {
  id: string;
  provider: LLMProvider;
  models: SupportedModel[];
  endpoint: string;
  /** The opened API key; undefined when it does not open with this runner's key (sealed for an older key). */
  apiKey: string | undefined;
  maxTokens: bigint;
  phase: LLMIntegrationPhase;
  phaseReason: string;
  requestHeaders: { key: string; value: string; type: LLMIntegrationRequestHeaderType }[];
}

export interface LlmIntegrations {
  /** Reads every integration of the runner again, replacing what it held. */
  loadAll(): Promise<void>;
  /** Reads one integration again (after its change event); gone on the server → dropped here. */
  refresh(id: string): Promise<void>;
  /** What the runner holds now. */
  current(): ReadonlyMap<string, RunnerLlmIntegration>;
}

export function createLlmIntegrations(
  client: RunnerplaneClient,
  runnerId: string,
  keys: KeyPair,
  log: (message: string, fields?: Record<string, unknown>) => void,
): LlmIntegrations {
  let held = new Map<string, RunnerLlmIntegration>();
  // Reads run one after another, so an older answer never overwrites a newer one.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(read: () => Promise<T>): Promise<T> => {
    const run = queue.then(read, read);
    queue = run.catch(() => undefined);
    return run;
  };

  const open = async (i: LLMIntegration): Promise<RunnerLlmIntegration> => {
    let apiKey: string | undefined;
    try {
      apiKey = await openSealed(keys, i.encryptedApiKey, "text");
    } catch {
      log("an LLM integration's API key does not open with this runner's key; set the key again", {
        llm_integration_id: i.id,
      });
    }
    return {
      id: i.id,
      provider: i.provider,
      models: i.models,
      endpoint: i.endpoint,
      apiKey,
      maxTokens: i.maxTokens,
      phase: i.phase,
      phaseReason: i.phaseReason,
      requestHeaders: i.requestHeaders.map((h) => ({
        key: h.key,
        value: new TextDecoder().decode(h.value),
        type: h.headerType,
      })),
    };
  };

  return {
    loadAll: () =>
      serially(async () => {
        const next = new Map<string, RunnerLlmIntegration>();
        for await (const i of listAll(
          client.interaction.listRunnerLLMIntegrations,
          { runnerId },
          (r) => r.llmIntegrations,
        )) {
          next.set(i.id, await open(i));
        }
        held = next;
        log("LLM integrations read", { count: held.size });
      }),

    refresh: (id) =>
      serially(async () => {
        try {
          const { llmIntegration } = await client.interaction.getRunnerLLMIntegration({
            runnerId,
            llmIntegrationId: id,
          });
          if (llmIntegration) held.set(id, await open(llmIntegration));
        } catch (error) {
          if (errorCode(error) !== Code.NotFound) throw error;
          held.delete(id);
        }
      }),

    current: () => held,
  };
}
