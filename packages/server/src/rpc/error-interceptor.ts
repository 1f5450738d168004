import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { currentRequestScope } from "../db/index.js";
import { toPublicError } from "../errors/index.js";
import type { Logger } from "../logging/index.js";
import { type RequestInfo, requestInfoKey } from "./request-info.js";

/**
 * Outermost interceptor: every failure of a method leaves through here, translated by
 * errors/error-mapping.ts. Unexpected errors are logged in full with the request id and
 * reach the caller only as a generic `internal` error. Also records the outcome code for
 * the request log line.
 */
export function createErrorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const info = req.contextValues.get(requestInfoKey);
    const fail = (error: unknown) => publicFailure(log, info, req.url, error);
    try {
      const res = await next(req);
      if (!res.stream) {
        if (info) info.code = "ok";
        return res;
      }
      // A plain iterator rather than an async generator: a runner's WatchRequests stream
      // lives for hours, and each generator in its chain is held for as long (docs/relay.md).
      return {
        ...res,
        message: translated(res.message, fail, () => {
          if (info) info.code = "ok";
        }),
      };
    } catch (error) {
      throw fail(error);
    }
  };
}

/**
 * A method's failure as its caller sees it (errors/error-mapping.ts), logged in full when
 * unexpected and recorded as the request's outcome. Also the lean WatchRequests path's
 * (relay/watch-handler.ts), so both answer a failure alike.
 */
export function publicFailure(log: Logger, info: RequestInfo | undefined, url: string, error: unknown): ConnectError {
  const { error: publicError, unexpected } = toPublicError(error, info?.id ?? "none", currentRequestScope());
  if (unexpected) log.error("unexpected error", { request_id: info?.id, procedure: url, error });
  if (info) info.code = publicError.code;
  return publicError;
}

/** `output`, its failures translated by `fail`; `ended` runs when it ends without one. */
function translated<T>(output: AsyncIterable<T>, fail: (error: unknown) => Error, ended: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = output[Symbol.asyncIterator]();
      const settle = (step: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> => {
        let result: Promise<IteratorResult<T>>;
        try {
          result = step();
        } catch (error) {
          return Promise.reject(fail(error));
        }
        return result.then(
          (r) => {
            if (r.done) ended();
            return r;
          },
          (error: unknown) => {
            throw fail(error);
          },
        );
      };
      return {
        next: () => settle(() => it.next()),
        return: (value?: unknown) =>
          settle(() => (it.return ? it.return(value) : Promise.resolve({ done: true, value: value as T }))),
        throw: (error?: unknown) =>
          settle(() => {
            if (it.throw) return it.throw(error);
            void it.return?.();
            return Promise.reject(error);
          }),
      };
    },
  };
}
