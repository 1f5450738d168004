/**
 * The reference runner (`@runnerplane/runner`'s bin) in a process of its own, registered
 * the way an operator would do it: CreateRunner as the org admin, then the runner trades
 * the exchange token, signs up and streams WatchRequests. Ready once a ParseContextURL
 * through the relay succeeds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { type CreateRunnerResponse, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { commitUrl } from "./protocol.js";
import { wireClient } from "./wire.js";

export interface ReferenceRunner {
  runnerId: string;
  stop(): Promise<void>;
}

const runnerMain = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@runnerplane/runner/package.json")),
  "dist/main.js",
);

const readinessUrl = commitUrl("ready");

/** `runnerServerUrl`: where the runner connects, when not to `baseUrl` (another replica). */
export async function startReferenceRunner(
  baseUrl: string,
  adminToken: string,
  runnerServerUrl = baseUrl,
): Promise<ReferenceRunner> {
  const client = wireClient("connect", baseUrl, { connections: 1 });
  const methods = RunnerService.method;
  const call = <T>(method: Parameters<typeof client.call>[0], init: Record<string, unknown>) =>
    client.call(method, create(method.input, init), { token: adminToken, decode: true }) as Promise<T>;
  const created = await call<CreateRunnerResponse>(methods.createRunner, {
    name: "bench reference runner",
    provider: RunnerProvider.AWS_EC2,
  });
  const runnerId = created.runner?.runnerId ?? "";
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "runnerplane-bench-runner-"));
  let stderr = "";
  const proc: ChildProcess = spawn(
    process.execPath,
    [runnerMain, "--server", runnerServerUrl, "--exchange-token", created.exchangeToken, "--state-dir", stateDir],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  proc.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const stop = async () => {
    client.close();
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(stateDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await call(methods.parseContextURL, { runnerId, contextUrl: readinessUrl });
      return { runnerId, stop };
    } catch (error) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`the reference runner did not become ready: ${(error as Error).message}; ${stderr.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
