/**
 * A unary call ends when its signal aborts, without waiting for the handler: the caller
 * gets `deadline_exceeded` (or `canceled`) promptly and the handler sees the abort on
 * `ctx.signal` (behaviour.md §1: every request has a deadline).
 */
import { getEventListeners } from "node:events";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { GetRunnerResponseSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callError } from "../testing/index.js";
import { createDeadlineInterceptor } from "./deadline-interceptor.js";

const runnerId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";

/** What the server side saw: the handler's signal and how the call left the interceptors. */
interface Observed {
  handlerSignal?: AbortSignal;
  handlerFinished: boolean;
  outcome?: { code: Code | "ok"; at: number };
}

/** Outermost server interceptor that records when and how the call settled. */
function observe(observed: Observed): Interceptor {
  return (next) => async (req) => {
    try {
      const res = await next(req);
      observed.outcome = { code: "ok", at: Date.now() };
      return res;
    } catch (error) {
      observed.outcome = { code: ConnectError.from(error).code, at: Date.now() };
      throw error;
    }
  };
}

/** Releases handlers that are still waiting, so no test leaves work behind. */
const releases: (() => void)[] = [];
afterEach(() => {
  for (const release of releases.splice(0)) release();
});

/**
 * A RunnerService whose getRunner works for `workMs` (ignoring its signal, like a handler
 * stuck in a slow query) behind the deadline interceptor.
 */
function setup(workMs: number, respond?: (ctx: HandlerContext) => void) {
  const observed: Observed = { handlerFinished: false };
  const transport = createRouterTransport(
    ({ service }) =>
      service(RunnerService, {
        getRunner: async (req, ctx) => {
          observed.handlerSignal = ctx.signal;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, workMs);
            releases.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
          observed.handlerFinished = true;
          respond?.(ctx);
          return create(GetRunnerResponseSchema, { runner: { runnerId: req.runnerId, name: "slow runner" } });
        },
      }),
    { router: { interceptors: [observe(observed), createDeadlineInterceptor()] } },
  );
  return { client: createClient(RunnerService, transport), observed };
}

describe("createDeadlineInterceptor", () => {
  describe("through an in-memory transport", () => {
    it("ends a call whose deadline passes with deadline_exceeded, without waiting for the handler", async () => {
      const { client, observed } = setup(2_000);
      const started = Date.now();
      const error = await callError(client.getRunner({ runnerId }, { timeoutMs: 30 }));
      expect(error.code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(1_000);

      // The server side gave up too, well before the handler's work would have ended.
      await vi.waitFor(() => expect(observed.outcome).toBeDefined(), { timeout: 1_000, interval: 5 });
      expect(observed.outcome?.code).toBe(Code.DeadlineExceeded);
      expect((observed.outcome?.at ?? Number.POSITIVE_INFINITY) - started).toBeLessThan(1_000);
      expect(observed.handlerFinished).toBe(false);
    });

    it("aborts the handler's signal with deadline_exceeded", async () => {
      const { client, observed } = setup(2_000);
      await callError(client.getRunner({ runnerId }, { timeoutMs: 20 }));
      await vi.waitFor(() => expect(observed.handlerSignal?.aborted).toBe(true), { timeout: 1_000, interval: 5 });
      expect(ConnectError.from(observed.handlerSignal?.reason).code).toBe(Code.DeadlineExceeded);
    });

    it("ends a call the client cancels with canceled", async () => {
      const { client, observed } = setup(2_000);
      const controller = new AbortController();
      const call = callError(client.getRunner({ runnerId }, { signal: controller.signal }));
      await vi.waitFor(() => expect(observed.handlerSignal).toBeDefined(), { timeout: 1_000, interval: 5 });
      controller.abort();
      expect((await call).code).toBe(Code.Canceled);
      await vi.waitFor(() => expect(observed.outcome).toBeDefined(), { timeout: 1_000, interval: 5 });
      expect(observed.outcome?.code).toBe(Code.Canceled);
      expect(observed.handlerSignal?.aborted).toBe(true);
      expect(observed.handlerFinished).toBe(false);
    });

    it("passes a call that finishes within its deadline through untouched", async () => {
      const { client, observed } = setup(5, (ctx) => ctx.responseHeader.set("x-handled", "yes"));
      const onHeader = vi.fn();
      const res = await client.getRunner({ runnerId }, { timeoutMs: 2_000, onHeader });
      expect(res.runner?.runnerId).toBe(runnerId);
      expect(res.runner?.name).toBe("slow runner");
      expect(onHeader.mock.calls[0]?.[0].get("x-handled")).toBe("yes");
      expect(observed.outcome?.code).toBe("ok");
      expect(observed.handlerFinished).toBe(true);
    });

    it("passes a call without a deadline through untouched", async () => {
      const { client } = setup(5);
      const res = await client.getRunner({ runnerId });
      expect(res.runner?.runnerId).toBe(runnerId);
    });

    it("passes the handler's own error through unchanged", async () => {
      const transport = createRouterTransport(
        ({ service }) =>
          service(RunnerService, {
            getRunner: () => {
              throw new ConnectError("runner not found", Code.NotFound);
            },
          }),
        { router: { interceptors: [createDeadlineInterceptor()] } },
      );
      const error = await callError(
        createClient(RunnerService, transport).getRunner({ runnerId }, { timeoutMs: 1_000 }),
      );
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe("runner not found");
    });
  });

  describe("called directly", () => {
    const interceptor = createDeadlineInterceptor();
    const response = { stream: false } as UnaryResponse;

    function unary(signal: AbortSignal): UnaryRequest {
      return { stream: false, signal } as unknown as UnaryRequest;
    }

    it("maps a timeout reason (AbortSignal.timeout, as the server default deadline) to deadline_exceeded", async () => {
      const next = vi.fn(() => new Promise<never>(() => {}));
      const error = await callError(interceptor(next)(unary(AbortSignal.timeout(10))));
      expect(error.code).toBe(Code.DeadlineExceeded);
      expect(next).toHaveBeenCalledOnce();
    });

    it("keeps a ConnectError reason as it is", async () => {
      const controller = new AbortController();
      const reason = new ConnectError("the server is shutting down", Code.Unavailable);
      const pending = callError(interceptor(() => new Promise<never>(() => {}))(unary(controller.signal)));
      controller.abort(reason);
      expect(await pending).toBe(reason);
    });

    it("maps any other abort to canceled", async () => {
      const controller = new AbortController();
      const pending = callError(interceptor(() => new Promise<never>(() => {}))(unary(controller.signal)));
      controller.abort();
      expect((await pending).code).toBe(Code.Canceled);
    });

    it("refuses a call whose signal is already aborted without running it", async () => {
      const controller = new AbortController();
      controller.abort(new DOMException("deadline", "TimeoutError"));
      const next = vi.fn(async () => response);
      const error = await callError(interceptor(next)(unary(controller.signal)));
      expect(error.code).toBe(Code.DeadlineExceeded);
      expect(next).not.toHaveBeenCalled();
    });

    it("returns the response of a call that completes, and stops listening to the signal", async () => {
      const controller = new AbortController();
      const result = await interceptor(async () => response)(unary(controller.signal));
      expect(result).toBe(response);
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
      controller.abort(); // A late abort has nothing left to end.
    });

    it("stops listening to the signal when the call fails", async () => {
      const controller = new AbortController();
      const failure = new ConnectError("nope", Code.PermissionDenied);
      const error = await callError(
        interceptor(async () => {
          throw failure;
        })(unary(controller.signal)),
      );
      expect(error).toBe(failure);
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    });

    it("leaves streaming calls to their own handling", async () => {
      const controller = new AbortController();
      controller.abort();
      const req = { stream: true, signal: controller.signal } as unknown as StreamRequest;
      const streamResponse = { stream: true };
      const next = vi.fn(async () => streamResponse as never);
      expect(await interceptor(next)(req)).toBe(streamResponse);
      expect(next).toHaveBeenCalledWith(req);
    });
  });
});
