/**
 * The benchmark itself, end to end at a tiny size: every scenario must run against the real
 * server and Postgres (on the test run's Postgres, in a database of its own) without a
 * single error. Nothing here looks at how fast anything was.
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

/** The table's rows as objects keyed by the header's cells. */
function tableRows(stdout: string): Record<string, string>[] {
  const lines = stdout.split("\n").filter((l) => l.startsWith("| "));
  const cells = (line: string) =>
    line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
  const [header, ...rows] = lines.map(cells);
  return rows.map((row) => Object.fromEntries((header ?? []).map((h, i) => [h, row[i] ?? ""])));
}

test("every scenario runs against the real server without errors and the targets are reported", async () => {
  const { code, stdout, stderr } = await runBench([
    ...["--duration", "0.3", "--concurrency", "4", "--runners", "300", "--fleet", "40"],
  ]);
  expect(code, stderr).toBe(0);
  const rows = tableRows(stdout);
  expect(rows.map((r) => `${r.scenario}/${r.protocol}`)).toEqual([
    "baseline-noop/connect",
    "baseline-noop/grpc",
    "baseline-noop-fleet/connect",
    "baseline-noop-connected-fleet/mixed",
    "baseline-postgres/sql",
    "GetAuthenticatedIdentity/connect",
    "GetRunner/connect",
    "GetRunner/grpc",
    "CreateRunner/connect",
    "UpdateRunner/connect",
    "ListRunners-first/connect",
    "ListRunners-first/grpc",
    "ListRunners-deep/connect",
    "ListRunners-deep/grpc",
    "ListEnvironmentClasses/connect",
    "UpdateRunnerStatus-fleet/connect",
    "ParseContextURL-relay/connect",
    "ParseContextURL-relay/grpc",
    "ParseContextURL-replicas/connect",
    "connected-fleet/mixed",
  ]);
  for (const row of rows) {
    expect(row.errors, `${row.scenario}/${row.protocol}: ${stdout}`).toBe("0");
    expect(Number(row["req/s"]), `${row.scenario}/${row.protocol}`).toBeGreaterThan(0);
    // Statements are counted for the real server only: every request there reads its token
    // (batched with the other lookups of its turn, so a call may cost less than one).
    if (row.scenario?.startsWith("baseline-")) expect(row["sql/req"]).toBe("-");
    else expect(Number(row["sql/req"]), `${row.scenario}/${row.protocol}`).toBeGreaterThan(0);
    // The whole machine's CPU comes from /proc/stat, which only Linux has.
    if (process.platform === "linux") expect(row["all CPU"], `${row.scenario}/${row.protocol}`).toMatch(/^[1-9]\d*%$/);
  }
  // The connected fleet: every runner held its stream to the end, a tenth of them over
  // HTTP/1.1, and was asked; the server answered every call, heartbeat and answer.
  expect(rows.find((r) => r.scenario === "connected-fleet")?.conc).toBe("40");
  expect(stdout).toMatch(
    /connected-fleet: 40 runners \(36 streams on 1 HTTP\/2 sessions, 4 over HTTP\/1\.1 at the end; the server held 40\), .*errors: 0 relayed calls, 0 heartbeats, 0 answers, 0 streams lost/,
  );
  // Its baseline: the same fleet and load on the bare framework, which held every stream too.
  expect(rows.find((r) => r.scenario === "baseline-noop-connected-fleet")?.conc).toBe("40");
  expect(stdout).toMatch(
    /baseline-noop-connected-fleet: 40 runners \(36 streams on 1 HTTP\/2 sessions, 4 over HTTP\/1\.1 at the end; the server held 40\), .*errors: 0 relayed calls, 0 heartbeats, 0 answers, 0 streams lost/,
  );
  // The heartbeat fleet is every seeded runner when there are fewer than 1 000.
  expect(rows.find((r) => r.scenario === "UpdateRunnerStatus-fleet")?.conc).toBe("300");
  expect(rows.find((r) => r.scenario === "baseline-noop-fleet")?.conc).toBe("300");
  expect(stdout).toMatch(/^Targets \(issue 23/m);
  expect(stdout).toMatch(/met|MISSED/);
  expect(stdout).toMatch(/peak server RSS ≤ 300 MB during the full run \(the connected fleet aside\): \d+ MB/);
  expect(stdout).toMatch(
    /10,000 connected runners: .*: \d+% \(the bare framework under the same load: \d+%, .*with 40 runners: a smaller fleet/,
  );
  expect(stdout).not.toMatch(/did not run/);
}, 360_000); // every scenario once, on a machine that may be busy: minutes, not a timing

test("with several rounds, each scenario is one row: the median of its interleaved rounds", async () => {
  const { code, stdout, stderr } = await runBench([
    ...["--scenarios", "baseline-noop/connect,GetRunner/connect", "--rounds", "2"],
    ...["--duration", "0.3", "--concurrency", "4", "--runners", "300"],
  ]);
  expect(code, stderr).toBe(0);
  expect(tableRows(stdout).map((r) => `${r.scenario}/${r.protocol}:${r.errors}`)).toEqual([
    "baseline-noop/connect:0",
    "GetRunner/connect:0",
  ]);
  // Interleaved: the second round of the first scenario runs after the first of the second.
  const order = [...stderr.matchAll(/running (\S+) \(round (\d)\)/g)].map((m) => `${m[1]}#${m[2]}`);
  expect(order).toEqual([
    "baseline-noop/connect#1",
    "GetRunner/connect#1",
    "baseline-noop/connect#2",
    "GetRunner/connect#2",
  ]);
  expect(stdout).toContain("each row the median of 2 interleaved rounds");
});

test("an unknown scenario is refused before anything starts", async () => {
  const { code, stderr } = await runBench(["--scenarios", "NoSuchThing"]);
  expect(code).toBe(1);
  expect(stderr).toContain("unknown scenario(s): nosuchthing");
});
