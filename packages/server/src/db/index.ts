export { createDatabaseIfMissing, dropDatabase } from "./databases.js";
export type { EmbeddedPostgres, EmbeddedPostgresOptions } from "./embedded-postgres.js";
export { findRunningEmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
export type { MigrateResult, Migration } from "./migrate.js";
export { defaultMigrationsDir, loadMigrations, migrate, migrationsApplied } from "./migrate.js";
export type { OpenDatabaseOptions, OpenedDatabase } from "./open-database.js";
export { openDatabase } from "./open-database.js";
export type { Db, Sql, SqlOptions } from "./sql.js";
export { createSql } from "./sql.js";
