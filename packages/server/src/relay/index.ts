export { askRunner, runnerAnswerTimeoutMs } from "./ask-runner.js";
export { startRelayLeftoverSweeper } from "./leftover-sweeper.js";
export type { RunnerNotifier } from "./notify-runner.js";
export { createRunnerNotifier } from "./notify-runner.js";
export type {
  ExtensionRelay,
  ExtensionRequest,
  Relay,
  RelayCallOutcome,
  RelayLane,
  RelayObserver,
  RunnerRequest,
} from "./relay.js";
export { createExtensionRelay, createRelay, oauthExtension, relayCallOutcomes } from "./relay.js";
export type { LeanProtocol, LeanRoute, WatchHandlerDeps } from "./watch-handler.js";
export { createWatchHandler } from "./watch-handler.js";
