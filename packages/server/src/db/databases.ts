import postgres from "postgres";

/**
 * Creates database `name` on the server behind `adminUrl` unless it exists, optionally
 * as a copy of `template`. Identifiers are quoted by postgres.js, never concatenated.
 */
export async function createDatabaseIfMissing(
  adminUrl: string,
  name: string,
  options: { template?: string } = {},
): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [found] = await sql`select 1 from pg_database where datname = ${name}`;
    if (found) return;
    if (options.template) {
      await sql`create database ${sql(name)} template ${sql(options.template)}`;
    } else {
      await sql`create database ${sql(name)}`;
    }
  } catch (error) {
    // A concurrent starter may have created it between our check and our create.
    if ((error as { code?: string }).code !== "42P04") throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`drop database if exists ${sql(name)} with (force)`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
