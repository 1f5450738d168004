/**
 * The relay's leftover sweep (relay/leftover-sweeper.ts) on real Postgres: the rows a killed
 * process left (a stream it held, a call it was waiting on) go once they are well past
 * their bounds, and a live process's rows stay.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { createLogger } from "../logging/index.js";
import { createTestRunner, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";
import { staleCallMs, staleStreamMs, sweepRelayLeftovers } from "./leftover-sweeper.js";

let server: TestServer;
let runnerId: string;
const lines: Record<string, unknown>[] = [];
const log = createLogger({ write: (line) => lines.push(JSON.parse(line)) });

beforeAll(async () => {
  server = await startTestServer();
  const org = await seedOrganization(server.sql, "Leftovers");
  ({ runnerId } = await createTestRunner(server.baseUrl, org.admin.token));
});
afterAll(() => server?.close());

const ago = (ms: number) => new Date(Date.now() - ms);

async function stream(lastSeen: Date): Promise<string> {
  const id = randomUUID();
  await server.sql`insert into runner_connections (stream_id, runner_id, server_id, connected_at, last_seen)
                   values (${id}, ${runnerId}, ${randomUUID()}, ${lastSeen}, ${lastSeen})`;
  return id;
}

async function call(deadline: Date): Promise<string> {
  const id = randomUUID();
  await server.sql`insert into relay_calls (id, runner_id, request, deadline, created_at)
                   values (${id}, ${runnerId}, ${Buffer.from("call")}, ${deadline}, ${ago(staleCallMs * 2)})`;
  return id;
}

describe("the relay's leftover sweep", () => {
  it("removes the streams and calls of a process that was killed, once well past their bounds, and keeps the rest", async () => {
    const killedStream = await stream(ago(staleStreamMs + 60_000));
    // Not renewed for a minute: no longer "connected" (30 s), but within the margin for clocks.
    const quietStream = await stream(ago(60_000));
    const liveStream = await stream(new Date());
    const killedCall = await call(ago(staleCallMs + 10_000));
    const expiredCall = await call(ago(5_000));
    const openCall = await call(new Date(Date.now() + 10_000));

    expect(await sweepRelayLeftovers({ sql: server.sql, clock: systemClock, log })).toEqual({ streams: 1, calls: 1 });

    const streams = await server.sql<{ stream_id: string }[]>`select stream_id from runner_connections`;
    expect(streams.map((s) => s.stream_id).sort()).toEqual([quietStream, liveStream].sort());
    expect(streams.map((s) => s.stream_id)).not.toContain(killedStream);
    const calls = await server.sql<{ id: string }[]>`select id from relay_calls`;
    expect(calls.map((c) => c.id).sort()).toEqual([expiredCall, openCall].sort());
    expect(calls.map((c) => c.id)).not.toContain(killedCall);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "removed what stopped processes left of the relay", streams: 1, calls: 1 }),
    );
  });

  it("finds nothing to remove a second time, and says nothing", async () => {
    lines.length = 0;
    expect(await sweepRelayLeftovers({ sql: server.sql, clock: systemClock, log })).toEqual({ streams: 0, calls: 0 });
    expect(lines).toEqual([]);
  });
});
