/**
 * The real entry point (dist/main.js, built by `tsc -b`) as a child process, for tests
 * that need the server exactly as operators run it: its environment, its log lines.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const mainJs = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface MainProcess {
  child: ChildProcess;
  /** The public port it listens on (PORT=0 unless `env` says otherwise). */
  port: number;
  /** Every log line so far, parsed. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/**
 * Starts dist/main.js on 127.0.0.1 with only PATH and `env` in its environment; resolves
 * once it logs "listening". Its cleanup (SIGKILL if still running) goes on `cleanups`.
 */
export async function startMain(env: Record<string, string>, cleanups: (() => Promise<void>)[]): Promise<MainProcess> {
  const child = spawn(process.execPath, [mainJs], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === "listening") resolve(entry.port as number);
    });
    void exited.then((code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
  });
  return { child, port, lines, exited };
}
