/**
 * Telling a runner that something it depends on changed (behaviour.md §8). The change is
 * already committed when this runs; a failed notification is logged, not turned into a
 * failed request (the runner re-reads its configuration when it reconnects anyway).
 */
import type { Logger } from "../logging/index.js";
import type { Relay } from "./relay.js";

export interface RunnerNotifier {
  scmIntegrationChanged(runnerId: string, scmIntegrationId: string): Promise<void>;
  /** Sent to every runner: the contract ties the event to no capability (docs/llm-integrations.md). */
  llmIntegrationChanged(runnerId: string, llmIntegrationId: string): Promise<void>;
  hostTokensDeleted(runnerId: string, deleted: { subject_id: string; host: string }[]): Promise<void>;
  configurationChanged(runnerId: string): Promise<void>;
}

export function createRunnerNotifier(relay: Relay, log: Logger): RunnerNotifier {
  const send = async (runnerId: string, request: Parameters<Relay["event"]>[1]) => {
    try {
      await relay.event(runnerId, request);
    } catch (error) {
      log.warn("could not notify a runner", { runner_id: runnerId, event: request.case, error });
    }
  };
  return {
    scmIntegrationChanged: (runnerId, scmIntegrationId) =>
      send(runnerId, { case: "eventScmIntegrationChange", value: { scmIntegrationId } }),
    llmIntegrationChanged: (runnerId, llmIntegrationId) =>
      send(runnerId, { case: "eventLlmIntegrationChange", value: { llmIntegrationId } }),
    hostTokensDeleted: async (runnerId, deleted) => {
      for (const d of deleted) {
        await send(runnerId, {
          case: "eventHostAuthenticationTokenDeleted",
          value: { host: d.host, principalId: d.subject_id },
        });
      }
    },
    configurationChanged: (runnerId) => send(runnerId, { case: "eventRunnerConfigurationChange", value: {} }),
  };
}
