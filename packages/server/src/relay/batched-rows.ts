/**
 * The two statements of a call that a process both sends and answers itself (docs/relay.md,
 * "Batched rows"): storing the call, already claimed for one of its streams, and ending it
 * when the runner's answer arrives. Every relayed call of a one-process deployment makes
 * both, so they are batched per turn of the event loop as authentication's lookups are
 * (db/batcher.ts): the calls authorized together are stored together, and the answers a
 * runner sends together end their calls together. A statement Postgres refuses for one
 * call's data (a request id that is no UUID, a runner deleted meanwhile) is retried call
 * by call, so it fails only that call.
 */
import { createBatcher } from "../db/batcher.js";
import { errorCode } from "../db/connection-errors.js";
import type { Sql } from "../db/index.js";

export interface ClaimedCall {
  id: string;
  runnerId: string;
  /** The encoded call message. */
  request: Uint8Array;
  deadline: Date;
  /** When it was made, and so delivered. */
  at: Date;
}

export interface BatchedRelayRows {
  /** Stores a call this process delivers to its own stream of the runner. */
  storeClaimed(call: ClaimedCall): Promise<void>;
  /**
   * Ends an open call of the runner with its answer, before its deadline (as of `at`):
   * false when there is none (answered already, timed out, unknown, someone else's).
   */
  endAnswered(id: string, runnerId: string, at: Date): Promise<boolean>;
}

/** The most calls one statement stores or ends. */
export const relayRowsBatchMax = 100;

/** Data (class 22) and integrity (class 23) errors are one call's doing. */
const isolates = (error: unknown) => /^2[23]/.test(errorCode(error) ?? "");

/** An answer's place in the statement: its call and the runner that sends it, as Postgres spells them. */
const answerKey = (id: string, runnerId: string) => `${id.toLowerCase()} ${runnerId.toLowerCase()}`;

export function createBatchedRelayRows(sql: Sql, lane: string): BatchedRelayRows {
  const store = createBatcher<string, ClaimedCall, true>({
    run: async (items) => {
      const calls = [...items.values()];
      await sql`
        insert into relay_calls (id, runner_id, request, deadline, created_at, delivered_at, lane)
        select k.id, k.runner_id, decode(k.request, 'hex'), k.deadline, k.at, k.at, ${lane}
          from unnest(${calls.map((c) => c.id)}::uuid[], ${calls.map((c) => c.runnerId)}::uuid[],
                      ${calls.map((c) => Buffer.from(c.request.buffer, c.request.byteOffset, c.request.byteLength).toString("hex"))}::text[],
                      ${calls.map((c) => c.deadline.toISOString())}::timestamptz[],
                      ${calls.map((c) => c.at.toISOString())}::timestamptz[]) as k(id, runner_id, request, deadline, at)`;
      return new Map(calls.map((c) => [c.id, true]));
    },
    // Ids are fresh UUIDs: never two calls for one.
    merge: (earlier) => earlier,
    maxKeys: relayRowsBatchMax,
    isolates,
  });

  const end = createBatcher<string, { id: string; runnerId: string; at: Date }, true>({
    run: async (items) => {
      const answers = [...items.values()];
      const ended = await sql<{ id: string; runner_id: string }[]>`
        delete from relay_calls c
         using unnest(${answers.map((a) => a.id)}::uuid[], ${answers.map((a) => a.runnerId)}::uuid[],
                      ${answers.map((a) => a.at.toISOString())}::timestamptz[]) as k(id, runner_id, at)
         where c.id = k.id and c.runner_id = k.runner_id and c.response is null and c.deadline > k.at
        returning c.id, c.runner_id`;
      return new Map(ended.map((row) => [answerKey(row.id, row.runner_id), true]));
    },
    // The same runner's answer twice in one turn: both were in time, and the call takes the first.
    merge: (earlier) => earlier,
    maxKeys: relayRowsBatchMax,
    isolates,
  });

  return {
    storeClaimed: async (call) => {
      await store(call.id, call);
    },
    endAnswered: async (id, runnerId, at) => (await end(answerKey(id, runnerId), { id, runnerId, at })) === true,
  };
}
