import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { currentRequestScope } from "../db/index.js";
import { toPublicError } from "../errors/index.js";
import type { Logger } from "../logging/index.js";
import { requestInfoKey } from "./request-info.js";

/**
 * Outermost interceptor: every failure of a method leaves through here, translated by
 * errors/error-mapping.ts. Unexpected errors are logged in full with the request id and
 * reach the caller only as a generic `internal` error. Also records the outcome code for
 * the request log line.
 */
export function createErrorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const info = req.contextValues.get(requestInfoKey);
    const fail = (error: unknown): ConnectError => {
      const { error: publicError, unexpected } = toPublicError(error, info?.id ?? "none", currentRequestScope());
      if (unexpected) {
        log.error("unexpected error", { request_id: info?.id, procedure: req.url, error });
      }
      if (info) info.code = publicError.code;
      return publicError;
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        if (info) info.code = "ok";
        return res;
      }
      const output = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* output;
            if (info) info.code = "ok";
          } catch (error) {
            throw fail(error);
          }
        })(),
      };
    } catch (error) {
      throw fail(error);
    }
  };
}
