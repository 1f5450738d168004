/**
 * One "ask the runner" call from a handler's point of view: send, wait, and turn the
 * runner's answer into the method's response or the runner's error (behaviour.md §6).
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { SendResponseRequest } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import type { Relay, RunnerRequest } from "./relay.js";

/** Default time a runner has to answer; a caller's shorter deadline wins. */
export const runnerAnswerTimeoutMs = 10_000;

type Answer = SendResponseRequest["response"];
type AnswerOf<C extends Answer["case"]> = Extract<Answer, { case: C }>["value"];

export async function askRunner<C extends Exclude<Answer["case"], "error" | undefined>>(
  relay: Relay,
  runnerId: string,
  request: RunnerRequest,
  expected: C,
  ctx: Pick<HandlerContext, "signal" | "timeoutMs">,
): Promise<AnswerOf<C>> {
  const callerDeadline = ctx.timeoutMs();
  const timeoutMs = Math.max(1, Math.min(runnerAnswerTimeoutMs, callerDeadline ?? Number.POSITIVE_INFINITY));
  const answer = (await relay.call(runnerId, request, timeoutMs, ctx.signal)).response;
  if (answer.case === "error") {
    const e = answer.value;
    const error = new ConnectError(
      e.message || "the runner could not answer",
      // SendResponseRequest.ErrorCode uses the Connect/gRPC code numbers; 0 means it did not say.
      e.code === 0 ? Code.Unknown : (e.code as number as Code),
    );
    // Details pass through as they came (google.protobuf.Any), whatever their type.
    for (const d of e.details) {
      error.details.push({ type: d.typeUrl.slice(d.typeUrl.lastIndexOf("/") + 1), value: d.value });
    }
    throw error;
  }
  if (answer.case !== expected) {
    throw new ConnectError(`the runner answered ${answer.case ?? "nothing"} to ${expected}`, Code.Internal);
  }
  return answer.value as AnswerOf<C>;
}
