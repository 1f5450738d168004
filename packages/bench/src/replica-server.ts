/**
 * A second replica of the real server, for the cross-replica relay scenario: the same
 * database and key ring as the one in the orchestrator, in a process of its own. The
 * reference runner streams to this one while callers ask the other, so every call crosses
 * processes through Postgres (docs/relay.md). Reports its port over IPC, its CPU time and
 * statements sent when asked, and closes when told to exit.
 */
import {
  build,
  createKeyRing,
  createLogger,
  createSql,
  defaultDbPoolSize,
  type ServerConfig,
} from "@runnerplane/server/harness";
import { answerOrchestrator } from "./protocol.js";

const databaseUrl = process.env.BENCH_DATABASE_URL ?? "";
const key = Buffer.from(process.env.BENCH_KEY ?? "", "base64");
const config = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? "{}") as ServerConfig;

let statements = 0;
const sql = createSql(databaseUrl, {
  max: defaultDbPoolSize,
  applicationName: "runnerplane-bench-replica",
  onStatement: () => {
    statements++;
  },
});
const server = build({
  config,
  sql,
  log: createLogger({ level: "warn" }),
  keyRing: createKeyRing([{ id: "bench-1", key }]),
});
const address = await server.listen(0, "127.0.0.1");
process.send?.({ type: "ready", port: address.port });
answerOrchestrator(() => server.close().then(() => sql.end({ timeout: 5 })), { statements: () => statements });
