/**
 * A job every replica runs on a timer (the runner deletion sweeper, the audit log pruner, the
 * relay's leftover sweep): outside any request's scope (db/request-scope.ts), never keeping
 * the process alive, and a failure (the database down) logged and tried again next time.
 */
import { detached } from "./db/index.js";
import type { Logger } from "./logging/index.js";

export interface BackgroundJob {
  stop(): void;
}

/** Runs `job` every `intervalMs` until stopped; a failure is logged as a warning saying `failed`. */
export function startBackgroundJob(
  log: Logger,
  { intervalMs, failed }: { intervalMs: number; failed: string },
  job: () => Promise<unknown>,
): BackgroundJob {
  const timer = setInterval(() => {
    detached(job).catch((error: unknown) => log.warn(failed, { error }));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
