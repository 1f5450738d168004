import { randomBytes } from "node:crypto";
import type { Db } from "./sql.js";

/**
 * A random secret the server keeps for itself in the database, created on first use. All
 * replicas race to create it; `on conflict do nothing` lets exactly one win and everyone
 * reads the winner's value.
 */
export async function serverSecret(sql: Db, name: string, bytes = 32): Promise<Buffer> {
  await sql`insert into server_secrets (name, value) values (${name}, ${randomBytes(bytes)})
            on conflict (name) do nothing`;
  const [row] = await sql<{ value: Buffer }[]>`select value from server_secrets where name = ${name}`;
  if (!row) throw new Error(`server secret ${name} vanished`);
  return row.value;
}
