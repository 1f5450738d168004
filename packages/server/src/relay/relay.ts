/**
 * The relay between callers and runner streams, through Postgres alone (docs/relay.md):
 * rows in relay_calls and runner_connections, and one LISTEN/NOTIFY channel for small
 * notifications. Any process can take a call, hold a runner's stream, or receive its answer.
 */
import { randomUUID } from "node:crypto";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type SendResponseRequest,
  SendResponseRequestSchema,
  type WatchRequestsResponse,
  WatchRequestsResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import {
  type SendExtensionResponseRequest,
  SendExtensionResponseRequestSchema,
  type WatchExtensionRequestsResponse,
  WatchExtensionRequestsResponseSchema,
} from "@runnerplane/api/runnerplane/runner/v1/runner_extension_pb";
import type { Clock } from "../clock.js";
import { heldRandomUuid } from "../crypto/held-id.js";
import { detached, type Sql } from "../db/index.js";
import { serverSecret } from "../db/server-secrets.js";
import type { Logger } from "../logging/index.js";
import { createBatchedRelayRows, liveStream } from "./batched-rows.js";
import { createCallIds, idDeadline } from "./call-ids.js";
import { AsyncQueue } from "./queue.js";

/** How often a process says it still holds its streams, and when silence means it does not. */
const heartbeatMs = 10_000;
const presenceTimeoutMs = 30_000;
/**
 * How long past its deadline another process still stores an answer to a call held in
 * memory (docs/relay.md, "Same process"): replicas' clocks differ a little.
 */
const clockGraceMs = 5_000;

export type RunnerRequest = NonNullable<MessageInitShape<typeof WatchRequestsResponseSchema>["request"]>;
export type ExtensionRequest = NonNullable<MessageInitShape<typeof WatchExtensionRequestsResponseSchema>["request"]>;

/**
 * One lane of the relay: a kind of runner stream with its call and answer messages. `Relay`
 * is gitpod.v1 WatchRequests/SendResponse; `ExtensionRelay` is runnerplane's own extension
 * stream (docs/relay.md, "Protocol extensions"), whose calls go only to streams that named
 * the extension they need.
 */
export interface RelayLane<Request, Call, Answer> {
  /** Whether some process holds a live stream of the runner (on this lane, naming `extension`). */
  isConnected(runnerId: string, extension?: string): Promise<boolean>;
  /** Sends a call to the runner and waits for its answer (or the deadline, or the signal). */
  call(runnerId: string, request: Request, timeoutMs: number, signal: AbortSignal): Promise<Answer>;
  /** Stores a runner's answer; false when no call waits for it any more (late or unknown). */
  answer(runnerId: string, response: Answer): Promise<boolean>;
  /** Tells every stream of the runner something; nobody waits for an answer. */
  event(runnerId: string, request: Request): Promise<void>;
  /**
   * The runner's stream: everything pushed to it until the signal aborts or the relay closes.
   * `extensions`: what the stream's runner speaks (extension lane only).
   */
  stream(runnerId: string, signal: AbortSignal, extensions?: readonly string[]): AsyncIterable<Call>;
  /** Ends every local stream and stops listening. */
  close(): Promise<void>;
}

export type Relay = RelayLane<RunnerRequest, WatchRequestsResponse, SendResponseRequest>;
export type ExtensionRelay = RelayLane<ExtensionRequest, WatchExtensionRequestsResponse, SendExtensionResponseRequest>;

/** The extension of the SCM OAuth calls (docs/scm-oauth.md), as runners announce it. */
export const oauthExtension = "oauth-v1";

/** The extension each extension call needs the runner to have named (docs/relay.md). */
const extensionOf: Record<NonNullable<ExtensionRequest["case"]>, string> = {
  callOauthAuthorize: oauthExtension,
  callOauthExchange: oauthExtension,
};

interface LaneSpec<CallSchema extends DescMessage, AnswerSchema extends DescMessage> {
  /** `relay_calls.lane` and `runner_connections.lane`. */
  name: "gitpod" | "runnerplane";
  channel: string;
  callSchema: CallSchema;
  answerSchema: AnswerSchema;
  /** The extension a call needs ("" for none). */
  requires(call: MessageShape<CallSchema>): string;
}

/** How a relayed call ended, for metrics (observability/metrics.ts). */
export const relayCallOutcomes = [
  /** The runner answered with a response. */
  "answered",
  /** The runner answered with an error. */
  "runner_error",
  /** No process holds a live stream of the runner. */
  "not_connected",
  /** The runner did not answer in time. */
  "timeout",
  /** The caller went away, or its deadline passed, first. */
  "canceled",
  /** Anything else: the database, a lost answer. */
  "failed",
] as const;

export type RelayCallOutcome = (typeof relayCallOutcomes)[number];

/** What the relay tells metrics; every method is cheap and never throws. */
export interface RelayObserver {
  /** This process now holds `by` more runner streams (fewer when negative). */
  streamsChanged(by: number): void;
  callEnded(outcome: RelayCallOutcome, seconds: number): void;
}

/** A call this process waits on. */
interface Waiter {
  /** The runner asked: only its answer counts. */
  runnerId: string;
  /** Held in memory alone (delivered to a stream of this process): no row unless another process stores the answer. */
  inMemory: boolean;
  /** With the answer when it arrived at this process; without, when a notification says it is in the row. */
  wake(response?: AnyAnswer): void;
}

interface LocalStream<Call> {
  id: string;
  runnerId: string;
  extensions: readonly string[];
  queue: AsyncQueue<Call>;
}

interface RelayDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** Metrics: streams held, calls and their outcomes. */
  observer?: RelayObserver | undefined;
}

/** The gitpod.v1 lane: WatchRequests and SendResponse. */
export function createRelay(deps: RelayDeps): Relay {
  return createLane(deps, {
    name: "gitpod",
    channel: "runnerplane_relay",
    callSchema: WatchRequestsResponseSchema,
    answerSchema: SendResponseRequestSchema,
    requires: () => "",
  }) as Relay;
}

/** runnerplane's extension lane: WatchExtensionRequests and SendExtensionResponse (no metrics). */
export function createExtensionRelay(deps: Omit<RelayDeps, "observer">): ExtensionRelay {
  return createLane(deps, {
    name: "runnerplane",
    channel: "runnerplane_relay_ext",
    callSchema: WatchExtensionRequestsResponseSchema,
    answerSchema: SendExtensionResponseRequestSchema,
    requires: (call) => (call.request.case ? extensionOf[call.request.case] : ""),
  }) as ExtensionRelay;
}

type Message = MessageShape<DescMessage>;
type AnyAnswer = Message & { requestId: string; response: { case: string | undefined } };

function createLane<CallSchema extends DescMessage, AnswerSchema extends DescMessage>(
  { sql, clock, log, observer }: RelayDeps,
  lane: LaneSpec<CallSchema, AnswerSchema>,
): RelayLane<unknown, MessageShape<CallSchema>, AnyAnswer> {
  type Call = MessageShape<CallSchema>;
  const { channel } = lane;
  const serverId = randomUUID();
  /** The calls' statements, batched per turn (relay/batched-rows.ts). */
  const rows = createBatchedRelayRows(sql, lane.name, channel);
  /**
   * Calls this process is waiting on, by id. Woken without an answer by a notification (the
   * answer is then in the row), or with it when the answer arrived at this very process.
   */
  const waiters = new Map<string, Waiter>();
  /**
   * Calls held in memory that have ended, until their ids stop vouching (deadline and
   * grace, ms): a second or late answer that reaches this process is dropped here instead
   * of being stored for nobody. In the order they ended, pruned from the front.
   */
  const endedInMemory = new Map<string, number>();
  const rememberEnded = (id: string, deadline: Date) => {
    const now = clock.now().getTime();
    for (const [old, until] of endedInMemory) {
      if (until > now) break;
      endedInMemory.delete(old);
    }
    endedInMemory.set(id, idDeadline(deadline).getTime() + clockGraceMs);
  };
  const streams = new Map<string, Set<LocalStream<Call>>>();
  let heartbeat: NodeJS.Timeout | undefined;

  const onNotify = (payload: string) => {
    const [kind, a, b, c] = payload.split(":");
    if (kind === "answer" && a) waiters.get(a)?.wake();
    else if (kind === "call" && a && b) void deliver(a, b, c ?? "");
    else if (kind === "event" && a && b) {
      const message = fromBinary(lane.callSchema, Buffer.from(b, "base64"));
      for (const s of streams.get(a) ?? []) s.queue.push(message);
    }
  };

  /**
   * LISTEN once per process; a failure (database down) is retried by the next caller.
   * Detached: the listening connection and its notifications belong to the process, not
   * to the request that happened to need them first (db/request-scope.ts).
   */
  const listen = loadedOnce(() => sql.listen(channel, onNotify));
  /** The lane's call ids (relay/call-ids.ts), keyed by a secret every replica shares; loaded as the LISTEN is. */
  const callIds = loadedOnce(async () => createCallIds(await serverSecret(sql, "relay-call-key")));

  const firstLocalStream = (runnerId: string, extension = ""): LocalStream<Call> | undefined => {
    for (const s of streams.get(runnerId) ?? []) if (extension === "" || s.extensions.includes(extension)) return s;
    return undefined;
  };

  /** Claims an undelivered call for one of this process's streams of the runner (that speaks its extension). */
  async function deliver(runnerId: string, callId: string, extension: string): Promise<void> {
    const target = firstLocalStream(runnerId, extension);
    if (!target) return;
    try {
      const request = await rows.claim(callId, clock.now());
      if (request) target.queue.push(fromBinary(lane.callSchema, request));
    } catch (error) {
      log.warn("could not deliver a call to a runner", { runner_id: runnerId, error });
    }
  }

  async function deliverPending(runnerId: string): Promise<void> {
    const pending = await sql<{ id: string; request: Buffer }[]>`
      select id, request from relay_calls
       where runner_id = ${runnerId} and lane = ${lane.name} and delivered_at is null and deadline > ${clock.now()}`;
    for (const { id, request } of pending) {
      await deliver(runnerId, id, lane.requires(fromBinary(lane.callSchema, request)));
    }
  }

  function startHeartbeat() {
    heartbeat ??= detached(() =>
      setInterval(() => {
        const ids = [...streams.values()].flatMap((set) => [...set].map((s) => s.id));
        if (ids.length === 0) return;
        sql`update runner_connections set last_seen = ${clock.now()} where stream_id = any(${ids}::uuid[])`.catch(
          (error: unknown) => log.warn("could not renew runner stream presence", { error }),
        );
      }, heartbeatMs),
    );
    heartbeat.unref();
  }

  return {
    async isConnected(runnerId, extension) {
      const since = new Date(clock.now().getTime() - presenceTimeoutMs);
      const [row] = await sql<{ connected: boolean }[]>`
        select ${liveStream(sql, lane.name, sql`${runnerId}::uuid`, sql`${extension ?? ""}::text`, sql`${since}`)} as connected`;
      return row?.connected === true;
    },

    call: observeCalls(observer, async (runnerId, request, timeoutMs, signal) => {
      const [ids] = await Promise.all([callIds(), listen()]);
      const now = clock.now();
      const deadline = new Date(now.getTime() + timeoutMs);
      const message = create(lane.callSchema, { request } as unknown as MessageInitShape<CallSchema>);
      const extension = lane.requires(message);
      const local = firstLocalStream(runnerId, extension);
      let id = ids.mint(lane.name, runnerId, deadline, local !== undefined);
      // Two calls of one deadline second share 41 random bits: a clash is unlikely, and caught here.
      while (waiters.has(id)) id = ids.mint(lane.name, runnerId, deadline, local !== undefined);
      (message as unknown as { requestId: string }).requestId = id;
      let wake!: (response?: AnyAnswer) => void;
      const answer = new Promise<AnyAnswer | undefined>((resolve) => {
        wake = resolve;
      });
      waiters.set(id, { runnerId, inMemory: local !== undefined, wake });
      let finished = false;
      try {
        if (local) {
          // This process holds a stream of the runner: the call lives here alone (no row, no
          // notification). An answer that reaches another process is stored there, in a
          // row of its own, because the id vouches for the call (docs/relay.md).
          local.queue.push(message);
        } else {
          // One statement: store the call only if some process holds a live stream of the
          // runner, and tell them all (the notification goes out when it commits).
          const sent = await rows.storeAndNotify({
            id,
            runnerId,
            request: Buffer.from(toBinary(lane.callSchema, message)),
            deadline,
            at: now,
            seenSince: new Date(now.getTime() - presenceTimeoutMs),
            extension,
            notification: `call:${runnerId}:${id}:${extension}`,
          });
          if (!sent) {
            finished = true;
            throw new ConnectError(
              extension ? `runner is not connected for ${extension}` : "runner is not connected",
              Code.Unavailable,
            );
          }
        }
        let timer: NodeJS.Timeout | undefined;
        let onAbort: (() => void) | undefined;
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ConnectError("the runner did not answer in time", Code.DeadlineExceeded)),
            timeoutMs,
          );
          onAbort = () => reject(ConnectError.from(signal.reason, Code.Canceled));
          signal.addEventListener("abort", onAbort, { once: true });
        });
        let inMemory: AnyAnswer | undefined;
        try {
          inMemory = await Promise.race([answer, expired]);
        } finally {
          clearTimeout(timer);
          if (onAbort) signal.removeEventListener("abort", onAbort);
        }
        if (inMemory) {
          // Answered at this process, which ended the call (and removed its row, if it had one).
          finished = true;
          return inMemory;
        }
        // Reading the answer ends the call: a late second answer finds no row.
        const row = await rows.takeAnswer(id);
        finished = true;
        if (!row?.response) throw new ConnectError("the runner's answer was lost", Code.Internal);
        return fromBinary(lane.answerSchema, row.response) as unknown as AnyAnswer;
      } finally {
        waiters.delete(id);
        if (local) rememberEnded(id, deadline);
        // Whatever happened, the call is over: a late answer finds no row and is dropped.
        // Cleanup, also after the caller was answered (deadline): detached from the request.
        if (!finished) {
          await detached(async () => {
            await sql`delete from relay_calls where id = ${id}`;
          }).catch(() => {});
        }
      }
    }),

    async answer(runnerId, response) {
      const id = response.requestId;
      const waiter = waiters.get(id);
      if (waiter?.inMemory) {
        // The call lives in this process alone: only the runner asked may end it, and only
        // its first answer does (waking it again changes nothing; the call forgets its
        // waiter and remembers it ended in the same turn).
        if (waiter.runnerId !== runnerId) return false;
        waiter.wake(response);
        return true;
      }
      if (waiter) {
        // The caller waits in this process: hand the answer over in memory. Removing the row
        // is what makes the answer count (the call is still open) and ends the call.
        if (!(await rows.endAnswered(id, runnerId, clock.now()))) return false;
        waiter.wake(response);
        return true;
      }
      if (endedInMemory.has(id)) return false;
      const now = clock.now();
      const encoded = toBinary(lane.answerSchema, response as unknown as MessageShape<AnswerSchema>);
      // Without a row, the answer is stored only for a call a replica made of this runner
      // and whose deadline has not passed: it is then held in that replica's memory.
      const heldUntil = (await callIds()).heldUntil(lane.name, runnerId, id, now, clockGraceMs);
      return rows.storeAnswer(id, runnerId, encoded, now, heldUntil);
    },

    async event(runnerId, request) {
      const message = create(lane.callSchema, {
        requestId: randomUUID(),
        request,
      } as unknown as MessageInitShape<CallSchema>);
      const payload = Buffer.from(toBinary(lane.callSchema, message)).toString("base64");
      await sql`select pg_notify(${channel}, ${`event:${runnerId}:${payload}`})`;
    },

    stream(runnerId, signal, extensions = []) {
      const local: LocalStream<Call> = { id: heldRandomUuid(), runnerId, extensions, queue: new AsyncQueue() };
      const close = () => {
        // A stream whose deadline passed ends with deadline_exceeded, as gRPC and Connect say;
        // one the client or the server ended just ends.
        local.queue.close(deadlinePassed(signal));
        if (streams.get(runnerId)?.delete(local)) observer?.streamsChanged(-1);
        detached(async () => {
          await sql`delete from runner_connections where stream_id = ${local.id}`;
        }).catch(() => {});
      };
      signal.addEventListener("abort", close, { once: true });
      return {
        [Symbol.asyncIterator]: () => {
          const inner = local.queue[Symbol.asyncIterator]();
          const opened = (async () => {
            await listen();
            const now = clock.now();
            await sql`insert into runner_connections (stream_id, runner_id, server_id, connected_at, last_seen, lane, extensions)
                      values (${local.id}, ${runnerId}, ${serverId}, ${now}, ${now}, ${lane.name}, ${[...extensions]})`;
            const set = streams.get(runnerId) ?? new Set<LocalStream<Call>>();
            streams.set(runnerId, set);
            set.add(local);
            observer?.streamsChanged(1);
            // Ended while registering (or before: an aborted signal fires no listener): undo it,
            // or the heartbeat would keep a stream nobody reads "connected" for ever.
            if (signal.aborted) return close();
            startHeartbeat();
            await deliverPending(runnerId);
          })();
          // Once registered, a read is the queue's own: no async frame per pending read.
          let registered = false;
          return {
            next: () =>
              registered
                ? inner.next()
                : opened.then(() => {
                    registered = true;
                    return inner.next();
                  }),
            return: async () => {
              close();
              return { value: undefined, done: true };
            },
          };
        },
      };
    },

    async close() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
      for (const set of streams.values()) for (const s of [...set]) s.queue.close();
      const ids = [...streams.values()].flatMap((set) => [...set].map((s) => s.id));
      observer?.streamsChanged(-ids.length);
      streams.clear();
      if (ids.length > 0)
        await sql`delete from runner_connections where stream_id = any(${ids}::uuid[])`.catch(() => {});
      const l = await listen.started()?.catch(() => undefined);
      await l?.unlisten().catch(() => {});
    },
  };
}

/**
 * `load` run once, outside any request's scope, and its result kept; a failure is not
 * kept, so the next caller tries again. `started()`: the load under way or done, if any.
 */
function loadedOnce<T>(load: () => Promise<T>): { (): Promise<T>; started(): Promise<T> | undefined } {
  let loading: Promise<T> | undefined;
  const get = () => {
    loading ??= detached(load).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  return Object.assign(get, { started: () => loading });
}

/** The relay's calls, each reported to the observer with its outcome and duration. */
function observeCalls<C extends (...args: [string, never, number, AbortSignal]) => Promise<AnyAnswer>>(
  observer: RelayObserver | undefined,
  call: C,
): C {
  if (!observer) return call;
  return (async (runnerId: string, request: never, timeoutMs: number, signal: AbortSignal) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const answer = await call(runnerId, request, timeoutMs, signal);
      observer.callEnded(answer.response.case === "error" ? "runner_error" : "answered", seconds());
      return answer;
    } catch (error) {
      observer.callEnded(failedOutcome(error, signal), seconds());
      throw error;
    }
  }) as C;
}

/**
 * Why a call failed. The call's own ConnectErrors say it: `unavailable` is the runner not
 * being connected, `deadline_exceeded` its answer timer; database errors are never
 * ConnectErrors here (they are translated later, by the error interceptor).
 */
function failedOutcome(error: unknown, signal: AbortSignal): RelayCallOutcome {
  if (signal.aborted) return "canceled";
  if (!(error instanceof ConnectError)) return "failed";
  if (error.code === Code.Unavailable) return "not_connected";
  if (error.code === Code.DeadlineExceeded) return "timeout";
  if (error.code === Code.Canceled) return "canceled";
  return "failed";
}

/** The signal's reason when it aborted because the call's deadline passed. */
function deadlinePassed(signal: AbortSignal): ConnectError | undefined {
  const reason: unknown = signal.reason;
  return reason instanceof ConnectError && reason.code === Code.DeadlineExceeded ? reason : undefined;
}
