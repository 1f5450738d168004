import { setTimeout as sleep } from "node:timers/promises";

/** Settles as `promise` does within `ms`, or fails saying it hung: a hang fails its test rather than the suite's timeout. */
export function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`still pending after ${ms} ms`);
    }),
  ]);
}
