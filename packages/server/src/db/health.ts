/**
 * Whether the database can be reached right now (docs/database-faults.md).
 *
 * A connection of its own (outside the pool, so a pool full of stuck statements cannot
 * hide a recovery) runs `select 1`: every second while all is well, every 250 ms while the
 * database is down, and at once when a statement fails as if the database went away. A
 * probe that fails or takes longer than its timeout marks the database down; the next
 * one that succeeds marks it up. While it is down the query guard fails requests'
 * statements at once, and /readyz answers 503 without waiting.
 */
import postgres from "postgres";
import type { Logger } from "../logging/index.js";
import { detached } from "./request-scope.js";

export interface DatabaseHealth {
  /** True while the last probe failed: requests' statements fail at once. */
  readonly down: boolean;
  /** A statement failed as if the database went away: probe now rather than on schedule. */
  suspect(): void;
  /** Probes now (or joins the probe under way); true when the database answered in time. */
  check(): Promise<boolean>;
  /** Called on each change from up to down. */
  onDown(listener: () => void): void;
  close(): Promise<void>;
}

export interface DatabaseHealthOptions {
  log: Logger;
  /** How long a probe may take before the database counts as down (ms). */
  timeoutMs?: number;
  upIntervalMs?: number;
  downIntervalMs?: number;
}

export function createDatabaseHealth(url: string, options: DatabaseHealthOptions): DatabaseHealth {
  const { log, timeoutMs = 1_000, upIntervalMs = 1_000, downIntervalMs = 250 } = options;
  const probeSql = detached(() =>
    postgres(url, {
      max: 1,
      connect_timeout: timeoutMs / 1000,
      idle_timeout: 0,
      fetch_types: false,
      backoff: () => 0,
      onnotice: () => {},
      connection: { application_name: "runnerplane-health" },
    }),
  );
  const downListeners: (() => void)[] = [];
  let down = false;
  let closed = false;
  let running: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), down ? downIntervalMs : upIntervalMs);
    timer.unref();
  };

  const probeOnce = async (): Promise<boolean> => {
    let deadline: NodeJS.Timeout | undefined;
    const query = probeSql`select 1`;
    const timedOut = new Promise<false>((resolve) => {
      deadline = setTimeout(() => {
        // Still waiting for the probe connection: take the probe off its queue.
        void query.cancel().catch(() => {});
        resolve(false);
      }, timeoutMs);
    });
    try {
      return await Promise.race([query.then(() => true), timedOut]);
    } catch {
      return false;
    } finally {
      clearTimeout(deadline);
    }
  };

  const check = (): Promise<boolean> => {
    running ??= detached(probeOnce).then((ok) => {
      running = undefined;
      if (ok === down) {
        down = !ok;
        if (down) {
          log.warn("the database is unreachable; requests that need it fail with unavailable");
          for (const listener of downListeners) listener();
        } else {
          log.info("the database is reachable again");
        }
      }
      schedule();
      return ok;
    });
    return running;
  };

  schedule();
  return {
    get down() {
      return down;
    },
    suspect: () => void check(),
    check,
    onDown: (listener) => void downListeners.push(listener),
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await running;
      await probeSql.end({ timeout: 0 });
    },
  };
}
