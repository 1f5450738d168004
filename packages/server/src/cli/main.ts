#!/usr/bin/env node
/**
 * `runnerplane` — admin CLI. Works on the database the server uses: DATABASE_URL, or the
 * embedded Postgres in RUNNERPLANE_DATA_DIR (the running server's, or started for the
 * command). Every command takes --json for scripts. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { parseArgs } from "node:util";
import { ConnectError } from "@connectrpc/connect";
import { cliRequestFacts } from "../audit/index.js";
import { systemClock } from "../clock.js";
import { ConfigError, loadConfig } from "../config.js";
import { migrate, openDatabase } from "../db/index.js";
import { createLogger } from "../logging/index.js";
import { CliError, type Command, commands } from "./commands.js";
import { describeDatabaseError } from "./database-errors.js";

class UsageError extends Error {}

/** Who runs the command, for its audit entries; userInfo() throws for a uid without a passwd entry. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER || "unknown";
  }
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const out = (value: unknown, text: string) =>
    process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text}\n`);
  const fail = (message: string, code: number) => {
    if (json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    else process.stderr.write(`runnerplane: ${message}\n`);
    return code;
  };

  const words = argv.filter((a) => !a.startsWith("-"));
  const command =
    commands.find((c) => c.name === words.slice(0, 2).join(" ")) ?? commands.find((c) => c.name === words[0]);
  if (!command || argv.includes("--help") || words[0] === "help") {
    const text = usage(command);
    if (!command && words.length > 0 && words[0] !== "help")
      return fail(`unknown command "${words.join(" ")}"\n\n${text}`, 2);
    out({ commands: commands.map((c) => ({ name: c.name, summary: c.summary })) }, text);
    return 0;
  }

  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseOptions(command, argv.slice(command.name.split(" ").length));
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${usage(command)}`, 2);
  }

  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const config = loadConfig(process.env, process.env.INIT_CWD ?? process.cwd());
    // Diagnostics go to stderr, so stdout stays the command's output.
    const log = createLogger({ level: "warn", write: (line) => process.stderr.write(line) });
    db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: 2,
      log,
      shareRunning: true,
    });
    await migrate(db.sql);
    const request = cliRequestFacts(randomUUID(), `${osUser()}@${hostname()}`);
    const result = await command.run({ sql: db.sql, clock: systemClock, request }, values);
    out(result.json, result.text);
    return 0;
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) return fail(error.message, 1);
    // A rule the services share (admin/), broken: its message says what to do.
    if (error instanceof ConnectError) return fail(error.rawMessage, 1);
    const described = describeDatabaseError(error);
    if (described) return fail(described, 1);
    return fail(`unexpected failure: ${(error as Error)?.stack ?? error}`, 1);
  } finally {
    await db?.close();
  }
}

function parseOptions(command: Command, args: string[]) {
  const parsed = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.entries(command.options).map(([k, o]) => [k, { type: o.type }])),
      json: { type: "boolean" },
    },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  for (const [key, option] of Object.entries(command.options)) {
    if (option.required && (values[key] === undefined || values[key] === "")) {
      throw new UsageError(`--${key} is required`);
    }
  }
  return values;
}

function usage(command: Command | undefined): string {
  if (!command) {
    const width = Math.max(...commands.map((c) => c.name.length));
    return [
      "usage: runnerplane <command> [options] [--json]",
      "",
      ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
      "",
      "Database: DATABASE_URL, or the embedded Postgres in RUNNERPLANE_DATA_DIR (default ./.data).",
    ].join("\n");
  }
  const options = Object.entries(command.options).map(
    ([k, o]) => `  --${k}${o.type === "string" ? " <value>" : ""}${o.required ? "" : " (optional)"}  ${o.description}`,
  );
  return [`usage: runnerplane ${command.name} [options] [--json]`, "", command.summary, "", ...options].join("\n");
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`runnerplane: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
