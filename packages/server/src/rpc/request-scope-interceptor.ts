import { createContextKey, type Interceptor } from "@connectrpc/connect";
import { runInRequestScope } from "../db/index.js";

/**
 * Outermost interceptor: a unary call's database statements belong to it
 * (db/request-scope.ts). The scope ends when the call's signal aborts (deadline, client
 * gone) and at the latest when the call is answered, so no statement of the call is sent
 * after its answer (behaviour.md §9).
 *
 * Streams get no scope: a stream's messages are produced after this interceptor returned,
 * outside its async context, and a runner's stream has no deadline to honour.
 */
/**
 * Why a scope ended, one object for every call: `abort()` without a reason builds a new
 * `DOMException`, stack trace and all, on every request (issue 23: 1–3% of a heartbeat's CPU).
 */
const scopeEnded = new Error("the request ended");

/**
 * Set by a path that aborts the call's signal itself the moment the call is answered
 * (rpc/lean-unary.ts): the scope then ends with that signal and needs no controller of its
 * own, one fewer per call.
 */
export const signalEndsWithAnswerKey = createContextKey(false, {
  description: "the call's signal ends with its answer",
});

export function createRequestScopeInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    if (req.contextValues.get(signalEndsWithAnswerKey)) return runInRequestScope(req.signal, () => next(req));
    const ended = new AbortController();
    const end = () => ended.abort(scopeEnded);
    req.signal.addEventListener("abort", end, { once: true });
    try {
      return await runInRequestScope(ended.signal, () => next(req));
    } finally {
      req.signal.removeEventListener("abort", end);
      end();
    }
  };
}
