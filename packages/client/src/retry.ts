import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { RetryOptions } from "./options.js";

/**
 * Retries only where it is safe: unary methods declared NO_SIDE_EFFECTS (reads), and only on
 * `unavailable`. Mutations are never retried: a request that reached the server may have
 * taken effect. Exponential backoff with full jitter, bounded, cancelled by the call's signal.
 */
export function retryInterceptor(
  options: RetryOptions = {},
  /** For tests: the source of jitter and the way to wait. */
  io: { random?: () => number; sleep?: (ms: number, signal: AbortSignal) => Promise<void> } = {},
): Interceptor {
  const random = io.random ?? Math.random;
  const wait = io.sleep ?? sleep;
  const maxAttempts = options.maxAttempts ?? 3;
  const initial = options.initialDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 2000;
  return (next) => async (req) => {
    if (req.stream || req.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) return next(req);
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (error) {
        if (attempt >= maxAttempts || ConnectError.from(error).code !== Code.Unavailable) throw error;
        const delay = random() * Math.min(cap, initial * 2 ** (attempt - 1));
        await wait(delay, req.signal);
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(ConnectError.from(signal.reason ?? "aborted", Code.Canceled));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason ?? "aborted", Code.Canceled));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
