import type { Db } from "./sql.js";

/** The runner's last reported schema as protobuf JSON, or undefined if it never reported one. */
export async function findReportedSchema(sql: Db, runnerId: string): Promise<unknown | undefined> {
  const [row] = await sql<{ schema: unknown }[]>`
    select schema from runner_configuration_schemas where runner_id = ${runnerId}`;
  return row?.schema;
}

export async function saveReportedSchema(sql: Db, runnerId: string, schema: unknown, now: Date): Promise<void> {
  await sql`
    insert into runner_configuration_schemas (runner_id, schema, updated_at)
    values (${runnerId}, ${sql.json(schema as never)}, ${now})
    on conflict (runner_id) do update set schema = excluded.schema, updated_at = excluded.updated_at`;
}
