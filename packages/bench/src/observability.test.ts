/**
 * `pnpm bench --observability` end to end at a tiny size: the three servers (off, metrics,
 * tracing) answer GetRunner without a single error, and the traced one really exports its
 * spans to the collector stand-in. Nothing here looks at how fast anything was.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
// Declares what the shared global setup provides (adminUrl).
import type {} from "@runnerplane/server/testing/global-setup";
import { expect, inject, test } from "vitest";

const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs, ...args], {
      env: { ...process.env, DATABASE_URL: inject("adminUrl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test("measures GetRunner with observability off, with metrics and with tracing exported over OTLP", async () => {
  const { code, stdout, stderr } = await runBench(["--observability", "--duration", "0.3", "--concurrency", "4"]);
  expect(code, stderr).toBe(0);
  const rows = stdout
    .split("\n")
    .filter((l) => l.startsWith("| GetRunner"))
    .map((l) => l.split("|").map((c) => c.trim()));
  expect(rows.map((r) => r[1])).toEqual(["GetRunner, off", "GetRunner, metrics", "GetRunner, tracing"]);
  // Columns: scenario, protocol, conc, req/s, p50, p90, p99, errors, srv CPU, srv ms/req.
  for (const row of rows) {
    expect(row[8], stdout).toBe("0");
    expect(Number(row[4])).toBeGreaterThan(0);
    expect(Number(row[10])).toBeGreaterThan(0);
  }
  expect(stdout).toMatch(/GetRunner, tracing: [+-]\d+ µs of server CPU per request over off/);
  const exports = Number(/received (\d+) OTLP exports/.exec(stdout)?.[1]);
  expect(exports).toBeGreaterThanOrEqual(1);
});
