/**
 * The relay's statements, batched per turn of the event loop as authentication's lookups
 * are (db/batcher.ts; docs/relay.md, "Batched statements"). A call for another process's
 * stream makes a few of them: storing it (that process is told), claiming it there, and
 * ending it with its answer, in memory or through the row; a call held in memory makes
 * none unless its answer reaches another process, which stores it. Callers that were authenticated and authorized
 * together store their calls together, the notifications that arrive together are claimed
 * together, and the answers a runner sends together end their calls together. A statement
 * Postgres refuses for one call's data (a request id that is no UUID, a runner deleted
 * meanwhile) is retried call by call, so it fails only that call.
 */
import type postgres from "postgres";
import { createBatcher } from "../db/batcher.js";
import { refusedForItsData } from "../db/connection-errors.js";
import type { Sql } from "../db/index.js";

export interface RemoteCall {
  id: string;
  runnerId: string;
  /** The encoded call message. */
  request: Uint8Array;
  deadline: Date;
  /** When it was made. */
  at: Date;
  /** When a stream that said it was alive since then counts as connected. */
  seenSince: Date;
  /** The extension a stream must have named ("" for none). */
  extension: string;
  /** What the processes holding a stream are told. */
  notification: string;
}

export interface BatchedRelayRows {
  /**
   * Stores a call only when some process holds a live stream of the runner (that named the
   * extension), and tells them all when it commits: false when none does.
   */
  storeAndNotify(call: RemoteCall): Promise<boolean>;
  /** Claims a stored call for a stream of this process: its request, unless taken or past its deadline (as of `at`). */
  claim(id: string, at: Date): Promise<Buffer | undefined>;
  /**
   * Ends an open call of the runner with its answer, before its deadline (as of `at`):
   * false when there is none (answered already, timed out, unknown, someone else's).
   */
  endAnswered(id: string, runnerId: string, at: Date): Promise<boolean>;
  /**
   * As endAnswered, for a caller waiting in another process: stores the answer and tells it.
   * With `heldUntil` (the id vouches for a call held in some process's memory, until then),
   * an answer that finds no row at all is stored as a row of its own, answered already.
   */
  storeAnswer(id: string, runnerId: string, response: Uint8Array, at: Date, heldUntil?: Date): Promise<boolean>;
  /** Ends a call whose caller was told its answer is stored: the row's answer, undefined without a row. */
  takeAnswer(id: string): Promise<{ response: Buffer | null } | undefined>;
}

/** The most calls one statement stores or ends. */
export const relayRowsBatchMax = 100;

/** An answer's place in the statement: its call and the runner that sends it, as Postgres spells them. */
const answerKey = (id: string, runnerId: string) => `${id.toLowerCase()} ${runnerId.toLowerCase()}`;

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
const iso = (at: Date) => at.toISOString();

/**
 * SQL: some process holds a stream of the runner on the lane (one that named the extension,
 * if it is not "") and said so since `seenSince`. The relay's one rule of "connected".
 */
export function liveStream(
  sql: Sql,
  lane: string,
  runnerId: postgres.Fragment,
  extension: postgres.Fragment,
  seenSince: postgres.Fragment,
): postgres.Fragment {
  return sql`exists (select 1 from runner_connections c
                      where c.runner_id = ${runnerId} and c.lane = ${lane}
                        and (${extension} = '' or ${extension} = any(c.extensions))
                        and c.last_seen > ${seenSince})`;
}

/** `channel`: where the lane's notifications go. */
export function createBatchedRelayRows(sql: Sql, lane: string, channel: string): BatchedRelayRows {
  const end = createBatcher<string, { id: string; runnerId: string; at: Date }, true>({
    run: async (items) => {
      const answers = [...items.values()];
      const ended = await sql<{ id: string; runner_id: string }[]>`
        delete from relay_calls c
         using unnest(${answers.map((a) => a.id)}::uuid[], ${answers.map((a) => a.runnerId)}::uuid[],
                      ${answers.map((a) => iso(a.at))}::timestamptz[]) as k(id, runner_id, at)
         where c.id = k.id and c.runner_id = k.runner_id and c.response is null and c.deadline > k.at
        returning c.id, c.runner_id`;
      return new Map(ended.map((row) => [answerKey(row.id, row.runner_id), true]));
    },
    // The same runner's answer twice in one turn: both were in time, and the call takes the first.
    merge: (earlier) => earlier,
    maxKeys: relayRowsBatchMax,
    isolates: refusedForItsData,
  });

  const storeRemote = createBatcher<string, RemoteCall, true>({
    run: async (items) => {
      const calls = [...items.values()];
      const sent = await sql<{ id: string }[]>`
        with k as (
          select * from unnest(${calls.map((c) => c.id)}::uuid[], ${calls.map((c) => c.runnerId)}::uuid[],
                               ${calls.map((c) => hex(c.request))}::text[],
                               ${calls.map((c) => iso(c.deadline))}::timestamptz[],
                               ${calls.map((c) => iso(c.at))}::timestamptz[],
                               ${calls.map((c) => iso(c.seenSince))}::timestamptz[],
                               ${calls.map((c) => c.extension)}::text[], ${calls.map((c) => c.notification)}::text[])
                   as k(id, runner_id, request, deadline, at, seen_since, extension, notification)),
        stored as (
          insert into relay_calls (id, runner_id, request, deadline, created_at, lane)
          select k.id, k.runner_id, decode(k.request, 'hex'), k.deadline, k.at, ${lane} from k
           where ${liveStream(sql, lane, sql`k.runner_id`, sql`k.extension`, sql`k.seen_since`)}
          returning id)
        select k.id, pg_notify(${channel}, k.notification) from stored join k on k.id = stored.id`;
      return new Map(sent.map((row) => [row.id, true]));
    },
    merge: (earlier) => earlier,
    maxKeys: relayRowsBatchMax,
    isolates: refusedForItsData,
  });

  const claims = createBatcher<string, Date, Buffer>({
    run: async (items) => {
      const claimed = await sql<{ id: string; request: Buffer }[]>`
        update relay_calls c set delivered_at = k.at
          from unnest(${[...items.keys()]}::uuid[], ${[...items.values()].map(iso)}::timestamptz[]) as k(id, at)
         where c.id = k.id and c.delivered_at is null and c.deadline > k.at
        returning c.id, c.request`;
      return new Map(claimed.map((row) => [row.id, row.request]));
    },
    // Two notifications of one call: it is claimed once.
    merge: (earlier) => earlier,
    maxKeys: relayRowsBatchMax,
    isolates: refusedForItsData,
  });

  const answers = createBatcher<
    string,
    { id: string; runnerId: string; response: Uint8Array; at: Date; heldUntil: Date | undefined },
    true
  >({
    run: async (items) => {
      const given = [...items.values()];
      // An answer updates its open call's row; one whose id vouches for a call held in memory,
      // and that finds no row of any kind, becomes a row of its own (docs/relay.md).
      const told = await sql<{ id: string; runner_id: string }[]>`
        with k as (
          select * from unnest(${given.map((a) => a.id)}::uuid[], ${given.map((a) => a.runnerId)}::uuid[],
                               ${given.map((a) => hex(a.response))}::text[],
                               ${given.map((a) => iso(a.at))}::timestamptz[],
                               ${given.map((a) => (a.heldUntil ? iso(a.heldUntil) : null))}::timestamptz[])
                   as k(id, runner_id, response, at, held_until)),
        answered as (
          update relay_calls c set response = decode(k.response, 'hex') from k
           where c.id = k.id and c.runner_id = k.runner_id and c.response is null and c.deadline > k.at
          returning c.id, c.runner_id),
        held as (
          insert into relay_calls (id, runner_id, request, deadline, created_at, delivered_at, response, lane)
          select k.id, k.runner_id, '', k.held_until, k.at, k.at, decode(k.response, 'hex'), ${lane} from k
           where k.held_until is not null and not exists (select 1 from relay_calls c where c.id = k.id)
             and exists (select 1 from runners r where r.id = k.runner_id)
          on conflict (id) do nothing
          returning id, runner_id)
        select id, runner_id, pg_notify(${channel}, 'answer:' || id)
          from (select * from answered union all select * from held) as stored`;
      return new Map(told.map((row) => [answerKey(row.id, row.runner_id), true]));
    },
    // The same runner's answer twice in one turn: the first is the one stored.
    merge: (earlier) => earlier,
    maxKeys: relayRowsBatchMax,
    isolates: refusedForItsData,
  });

  const takes = createBatcher<string, undefined, { response: Buffer | null }>({
    run: async (items) => {
      const taken = await sql<{ id: string; response: Buffer | null }[]>`
        delete from relay_calls where id = any(${[...items.keys()]}::uuid[]) returning id, response`;
      return new Map(taken.map((row) => [row.id, { response: row.response }]));
    },
    merge: () => undefined,
    maxKeys: relayRowsBatchMax,
    isolates: refusedForItsData,
  });

  return {
    storeAndNotify: async (call) => (await storeRemote(call.id, call)) === true,
    claim: (id, at) => claims(id, at),
    endAnswered: async (id, runnerId, at) => (await end(answerKey(id, runnerId), { id, runnerId, at })) === true,
    storeAnswer: async (id, runnerId, response, at, heldUntil) =>
      (await answers(answerKey(id, runnerId), { id, runnerId, response, at, heldUntil })) === true,
    takeAnswer: (id) => takes(id, undefined),
  };
}
