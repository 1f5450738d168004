/**
 * The set-up every people-service test file shares (services/{user,organization,group,
 * service-account}-service.test.ts): the real server on a database of its own with the
 * tenancy fixture, started before the file's tests and closed after them, and clients for a
 * token or a fixture caller. Registers vitest's beforeAll/afterAll, so it is for test files
 * only (not exported from testing/index.ts, which non-test code imports too).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect } from "vitest";
import type { Clock } from "../clock.js";
import { type Clients, clientsFor } from "./access-matrix.js";
import { type SeededOrganization, seedOrganization } from "./seed.js";
import { startTestServer, type TestServer } from "./server.js";
import { type CallerName, createTenancyFixture, type TenancyFixture } from "./tenancy-fixture.js";

/** An id no row has: unknown everywhere. */
export const unknownId = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";

export interface TenancyServer {
  readonly server: TestServer;
  readonly fx: TenancyFixture;
  /** Clients for a token: Connect JSON over HTTP/1.1, or binary over h2c. */
  clients(token: string, binary?: boolean): Clients;
  /** Clients of a fixture caller, over Connect JSON. */
  as(caller: CallerName): Clients;
  /** The subject id of a fixture caller. */
  idOf(caller: CallerName): string;
  /** A fresh org (admin, member, service account), so that changing it disturbs no other test. */
  freshOrg(): Promise<SeededOrganization & { id: string }>;
}

export function useTenancyServer(options: { clock?: Clock } = {}): TenancyServer {
  let server: TestServer | undefined;
  let fx: TenancyFixture | undefined;
  beforeAll(async () => {
    server = await startTestServer(options.clock ? { clock: options.clock } : {});
    fx = await createTenancyFixture(server.sql);
  });
  afterAll(() => server?.close());
  const started = () => {
    if (!server || !fx) throw new Error("the tenancy server is used before beforeAll ran");
    return { server, fx };
  };
  const clients = (token: string, binary = false) =>
    clientsFor(started().server.baseUrl, token, binary ? { http2: true } : { json: true });
  return {
    get server() {
      return started().server;
    },
    get fx() {
      return started().fx;
    },
    clients,
    as: (caller) => clients(started().fx.tokens[caller]),
    idOf: (caller) => started().fx.callers[caller].subject.id,
    async freshOrg() {
      const seeded = await seedOrganization(started().server.sql, `Org ${randomUUID().slice(0, 8)}`);
      return { ...seeded, id: seeded.organization.id };
    },
  };
}

/** Every item of a list, page by page, checking that no page repeats a row. */
export async function allPages<T extends { id: string }>(
  page: (token: string) => Promise<{ items: T[]; next: string }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token = "";
  let pages = 0;
  do {
    const p = await page(token);
    items.push(...p.items);
    token = p.next;
    pages++;
  } while (token !== "" && pages < 50);
  expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  return { items, pages };
}
