/** What main.ts and observability.ts share: the database, the server's settings and child processes. */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  createDatabaseIfMissing,
  createLogger,
  dropDatabase,
  type EmbeddedPostgres,
  type ServerConfig,
  startEmbeddedPostgres,
} from "@runnerplane/server/harness";

/** The server's settings for a bench run, with the given unary deadline. */
export function serverConfig(requestTimeoutMs: number): ServerConfig {
  return {
    corsOrigins: [],
    maxBodyBytes: 4 * 1024 * 1024,
    requestTimeoutMs,
    shutdownTimeoutMs: 2_000,
    runnerDeleteGraceMs: 300_000,
    publicUrl: "http://localhost:8080",
  };
}

/** Postgres for the run: a fresh database on DATABASE_URL, or an ephemeral embedded cluster. */
export async function startDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const name = `runnerplane_bench_${randomBytes(4).toString("hex")}`;
  const external = process.env.DATABASE_URL;
  if (external) {
    await createDatabaseIfMissing(external, name);
    const u = new URL(external);
    u.pathname = `/${name}`;
    return { url: u.toString(), stop: () => dropDatabase(external, name) };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "runnerplane-bench-"));
  let embedded: EmbeddedPostgres | undefined;
  try {
    embedded = await startEmbeddedPostgres({
      dataDir,
      ephemeral: true,
      log: createLogger({ level: "warn" }),
    });
    await createDatabaseIfMissing(embedded.url("postgres"), name);
  } catch (error) {
    await embedded?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const pg = embedded;
  return {
    url: pg.url(name),
    stop: async () => {
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One of this package's modules (`./load.js`) in its own process, over IPC, with `env` added. */
export function child(file: string, env: Record<string, string> = {}): ChildProcess {
  return fork(new URL(file, import.meta.url), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
}

/** The child's next IPC message; rejects if it exits first. */
export function nextMessage<T>(proc: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      proc.off("exit", onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => {
      proc.off("message", onMessage);
      reject(new Error(`child process exited (code ${code})`));
    };
    proc.once("message", onMessage);
    proc.once("exit", onExit);
  });
}
