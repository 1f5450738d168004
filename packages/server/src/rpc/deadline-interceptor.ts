import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Ends a unary call when its signal aborts: the client's own deadline
 * (`connect-timeout-ms`, `grpc-timeout`), the server's default deadline (the front door
 * links it into the request signal), or the client going away. The handler sees the
 * same signal and can stop its own work; the caller gets `deadline_exceeded` (or
 * `canceled`) without waiting for it.
 */
export function createDeadlineInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const signal = req.signal;
    if (signal.aborted) throw abortError(signal);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([next(req), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  };
}

function abortError(signal: AbortSignal): ConnectError {
  const reason: unknown = signal.reason;
  if (reason instanceof ConnectError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new ConnectError("the request exceeded its deadline", Code.DeadlineExceeded);
  }
  return new ConnectError("the request was canceled", Code.Canceled);
}
