#!/usr/bin/env node
/**
 * runnerplane-runner --server <url> [--exchange-token <token>] [--state-dir <dir>] [--public-url <url>]
 *                    [--scm-api <host>=<url> …] [--scm-oauth <host>=<authorize url>,<token url> …]
 *
 * Settings may also come from RUNNERPLANE_URL, RUNNERPLANE_EXCHANGE_TOKEN and
 * RUNNERPLANE_RUNNER_STATE_DIR. Stops on SIGTERM/SIGINT, or when the server deletes it.
 */
import { parseArgs } from "node:util";
import { startRunner } from "./runner.js";

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    "exchange-token": { type: "string" },
    "state-dir": { type: "string" },
    "scm-api": { type: "string", multiple: true },
    "scm-oauth": { type: "string", multiple: true },
    "public-url": { type: "string" },
    "heartbeat-ms": { type: "string" },
  },
});
const serverUrl = values.server ?? process.env.RUNNERPLANE_URL;
if (!serverUrl) {
  process.stderr.write("runnerplane-runner: --server <url> (or RUNNERPLANE_URL) is required\n");
  process.exit(2);
}
const apiBaseUrls = Object.fromEntries(
  (values["scm-api"] ?? []).map((entry) => {
    const at = entry.indexOf("=");
    return [entry.slice(0, at), entry.slice(at + 1)];
  }),
);
const oauthEndpoints = Object.fromEntries(
  (values["scm-oauth"] ?? []).map((entry) => {
    const at = entry.indexOf("=");
    const [authorizeUrl = "", tokenUrl = ""] = entry.slice(at + 1).split(",");
    if (at < 1 || !URL.canParse(authorizeUrl) || !URL.canParse(tokenUrl)) {
      process.stderr.write(`runnerplane-runner: --scm-oauth ${entry}: want <host>=<authorize url>,<token url>\n`);
      process.exit(2);
    }
    return [entry.slice(0, at), { authorizeUrl, tokenUrl }];
  }),
);
const runner = await startRunner({
  serverUrl,
  exchangeToken: values["exchange-token"] ?? process.env.RUNNERPLANE_EXCHANGE_TOKEN,
  stateDir: values["state-dir"] ?? process.env.RUNNERPLANE_RUNNER_STATE_DIR ?? ".runner",
  apiBaseUrls,
  oauthEndpoints,
  publicUrl: values["public-url"] ?? process.env.RUNNERPLANE_PUBLIC_URL,
  ...(values["heartbeat-ms"] ? { heartbeatMs: Number(values["heartbeat-ms"]) } : {}),
});
const stop = () => void runner.stop().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
await runner.done;
process.exit(0);
