/**
 * runnerplane.runner.v1.RunnerExtensionService: the runner's end of the extension lane
 * (docs/relay.md, "Protocol extensions"). Like WatchRequests/SendResponse, but for calls the
 * genuine protocol has no place for, sent only to runners that named the extension.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { RunnerExtensionService } from "@runnerplane/api/runnerplane/runner/v1/runner_extension_pb";
import { assertRunnerItself, callerOf } from "../auth/index.js";
import type { ExtensionRelay } from "../relay/index.js";

export function createRunnerExtensionService({
  extensionRelay,
}: {
  extensionRelay: ExtensionRelay;
}): ServiceImpl<typeof RunnerExtensionService> {
  return {
    watchExtensionRequests(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      return extensionRelay.stream(req.runnerId.toLowerCase(), ctx.signal, [...new Set(req.extensions)]);
    },

    async sendExtensionResponse(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      await extensionRelay.answer(req.runnerId.toLowerCase(), req);
      return {};
    },
  };
}
