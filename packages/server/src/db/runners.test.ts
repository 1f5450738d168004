import { describe, expect, it } from "vitest";
import { useTenancyDatabase } from "../testing/index.js";
import { findRunner, runnerColumnNames, runnerFrom, runnerRow } from "./runners.js";

const t = useTenancyDatabase();

/** The runner's columns as postgres.js reads them one by one: what runnerRow must equal. */
async function columnByColumn(id: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await t.db.sql`select ${t.db.sql([...runnerColumnNames])} from runners where id = ${id}`;
  return row;
}

describe("runnerRow", () => {
  it("reads a runner with every column set exactly as the columns read one by one", async () => {
    const id = t.fx.runners.userRunner;
    await t.db.sql`
      update runners
         set runner_manager_id = gen_random_uuid(), update_window_start = 2, update_window_end = 5,
             encrypted_honeycomb_api_key = '\\x00ff10'::bytea, metrics_password_ciphertext = '\\x0102'::bytea,
             metrics_password_key_id = 'key-1', public_key = decode(repeat('de', 32), 'hex'), provider = 'linux_host',
             status_updated_at = '2026-12-02 01:02:03.456789+00', signed_up_at = '2026-01-31 23:59:59.999+05:30',
             deleting_since = '2026-12-02 01:02:03+00', gateway_info = '{"gateway":{"url":"https://gw.example.com"}}',
             additional_info = '[{"key":"k","value":"v \\" é"}]', capabilities = '{1,2,3}',
             status_message = 'line one
line "two"', name = 'runner ✓'
       where id = ${id}`;
    const [row] = await t.db.sql<
      { runner: unknown[] }[]
    >`select ${runnerRow(t.db.sql)} from runners r where r.id = ${id}`;
    const read = runnerFrom(row?.runner ?? []);
    expect(read).toEqual(await columnByColumn(id));
    expect(read.public_key).toBeInstanceOf(Buffer);
    expect(read.signed_up_at?.toISOString()).toBe("2026-01-31T18:29:59.999Z");
  });

  it("reads a runner with every nullable column null exactly as the columns read one by one", async () => {
    const id = t.fx.runners.orgRunner;
    expect(await findRunner(t.db.sql, t.fx.organizations.A, id)).toEqual(await columnByColumn(id));
  });

  it("reads exactly DbRunner's columns: none missing, and not the plaintext metrics password", async () => {
    const row = await findRunner(t.db.sql, t.fx.organizations.A, t.fx.runners.orgRunner);
    expect(Object.keys(row ?? {}).sort()).toEqual([...runnerColumnNames].sort());
  });

  it("leaves out only the plaintext metrics password of what the table holds", async () => {
    const columns = await t.db.sql<{ column_name: string }[]>`
      select column_name from information_schema.columns where table_name = 'runners'`;
    expect(columns.map((c) => c.column_name).sort()).toEqual([...runnerColumnNames, "metrics_password"].sort());
  });
});
