/**
 * The error interceptor on a server stream (WatchRequests): a failure while the stream is
 * open reaches the caller translated like a unary call's, the request's outcome is recorded,
 * and a caller that stops reading ends the method's stream.
 */
import { Code, createClient, createContextValues, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { describe, expect, it, vi } from "vitest";
import { type Logger, silentLogger } from "../logging/index.js";
import { callError } from "../testing/index.js";
import { createErrorInterceptor } from "./error-interceptor.js";
import { type RequestInfo, requestInfoKey } from "./request-info.js";

const runnerId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";

function serve(impl: () => AsyncIterable<{ requestId: string }>, log: Logger = silentLogger) {
  const info: RequestInfo = { id: "req-1" };
  const withInfo: Interceptor = (next) => (req) => {
    req.contextValues.set(requestInfoKey, info);
    return next(req);
  };
  const transport = createRouterTransport(
    (router) => router.service(RunnerInteractionService, { watchRequests: impl }),
    { router: { interceptors: [withInfo, createErrorInterceptor(log)] } },
  );
  return { info, client: createClient(RunnerInteractionService, transport) };
}

describe("the error interceptor on a server stream", () => {
  it("translates a failure after the first message into an internal error that hides the cause", async () => {
    const error = vi.fn();
    const { client, info } = serve(
      async function* () {
        yield { requestId: "first" };
        throw new Error("the database said something private");
      },
      { ...silentLogger, error },
    );
    const received: string[] = [];
    const failure = await callError(
      (async () => {
        for await (const m of client.watchRequests({ runnerId })) received.push(m.requestId);
      })(),
    );
    expect(received).toEqual(["first"]);
    expect(failure.code).toBe(Code.Internal);
    expect(failure.rawMessage).toBe("internal error (request id req-1)");
    expect(info.code).toBe(Code.Internal);
    expect(error).toHaveBeenCalledOnce();
  });

  it("records ok for a stream that ends on its own, after every message", async () => {
    const { client, info } = serve(async function* () {
      yield { requestId: "a" };
      yield { requestId: "b" };
    });
    const received: string[] = [];
    for await (const m of client.watchRequests({ runnerId })) {
      expect(info.code).toBeUndefined();
      received.push(m.requestId);
    }
    expect(received).toEqual(["a", "b"]);
    expect(info.code).toBe("ok");
  });

  it("ends the method's stream when the caller stops reading", async () => {
    let ended = false;
    const output = (async function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        ended = true;
      }
    })();
    const next = vi.fn(async () => ({ stream: true, message: output }));
    const res = await createErrorInterceptor(silentLogger)(next as never)({
      stream: true,
      contextValues: createContextValues(),
    } as never);
    const it = (res.message as AsyncIterable<number>)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    expect(await it.return?.()).toEqual({ done: true, value: undefined });
    expect(ended).toBe(true);
  });
});
