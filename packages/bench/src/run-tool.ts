/** Runs one of this package's tools (`dist/<name>.js`) as a child process, for its tests. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export function runTool(
  name: string,
  args: string[],
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number | null; output: string }> {
  const file = fileURLToPath(new URL(`../dist/${name}.js`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), file, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const add = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}
