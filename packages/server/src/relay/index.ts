export { askRunner, runnerAnswerTimeoutMs } from "./ask-runner.js";
export type { RunnerNotifier } from "./notify-runner.js";
export { createRunnerNotifier } from "./notify-runner.js";
export type { Relay, RunnerRequest } from "./relay.js";
export { createRelay } from "./relay.js";
