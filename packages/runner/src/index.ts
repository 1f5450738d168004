export type { CallContext } from "./calls.js";
export { answerCall } from "./calls.js";
export type { RunnerLlmIntegration } from "./llm-integrations.js";
export type { RunnerOptions, RunningRunner } from "./runner.js";
export { runnerVersion, startRunner } from "./runner.js";
export { runnerSchema } from "./schema.js";
