export { askRunner, runnerAnswerTimeoutMs } from "./ask-runner.js";
export type { RunnerNotifier } from "./notify-runner.js";
export { createRunnerNotifier } from "./notify-runner.js";
export type { Relay, RelayCallOutcome, RelayObserver, RunnerRequest } from "./relay.js";
export { createRelay, relayCallOutcomes } from "./relay.js";
