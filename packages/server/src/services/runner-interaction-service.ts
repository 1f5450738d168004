/**
 * gitpod.v1.RunnerInteractionService: the calls a runner makes about itself. Registration
 * (Signup, MarkRunnerActive) is here; status, schema, host tokens and the request stream
 * arrive with the runner-protocol issue.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { callerOf, requireRunnerItself } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import { markRunnerActive, signupRunner } from "../db/runners.js";

export interface RunnerInteractionServiceDeps {
  sql: Sql;
  clock: Clock;
}

export function createRunnerInteractionService({
  sql,
  clock,
}: RunnerInteractionServiceDeps): Partial<ServiceImpl<typeof RunnerInteractionService>> {
  return {
    async signup(req, ctx) {
      const caller = callerOf(ctx);
      // Signup names no runner: it is the caller's own.
      await requireRunnerItself(sql, caller, caller.subject.id);
      if (req.environmentClasses.length > 0) {
        throw new ConnectError(
          "environment_classes: storing a runner's environment classes at sign-up is not supported yet; sign up with the public key only",
          Code.Unimplemented,
        );
      }
      await signupRunner(sql, caller.subject.id, req.publicKey, clock.now());
      return { runnerId: caller.subject.id };
    },

    async markRunnerActive(req, ctx) {
      await requireRunnerItself(sql, callerOf(ctx), req.runnerId);
      await markRunnerActive(sql, req.runnerId, clock.now());
      return {};
    },
  };
}
