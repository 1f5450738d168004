/**
 * `/metrics`, in the Prometheus text format: on a port of its own
 * (RUNNERPLANE_METRICS_PORT), and on the public port only behind a bearer token
 * (RUNNERPLANE_METRICS_TOKEN). When the token is set it is asked for wherever /metrics is
 * served. With neither set, the public port answers /metrics 404 like any unknown path.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { type NodeResponse, writeConnectError, writeMethodNotAllowed } from "../http/error-response.js";
import type { NodeRequest } from "../http/json-body.js";
import type { Metrics } from "./metrics.js";

export const metricsPath = "/metrics";

export type MetricsEndpoint = (req: NodeRequest, res: NodeResponse) => void;

export function createMetricsEndpoint(metrics: Metrics, token: string | undefined): MetricsEndpoint {
  // Compared as digests, in constant time: how long the comparison takes says nothing of the token.
  const expected = token === undefined ? undefined : digest(token);
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return writeMethodNotAllowed(res, req.method, metricsPath, "GET, HEAD");
    }
    if (expected) {
      const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        return writeConnectError(res, Code.Unauthenticated, "/metrics needs the metrics bearer token", {
          headers: { "www-authenticate": 'Bearer realm="metrics"' },
        });
      }
    }
    metrics.exposition().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
        if (req.method === "HEAD") res.end();
        else res.end(body);
      },
      () => writeConnectError(res, Code.Internal, "the metrics could not be collected"),
    );
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export interface MetricsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** The metrics port: HTTP/1.1, /metrics and nothing else. */
export async function startMetricsServer(
  endpoint: MetricsEndpoint,
  port: number,
  host: string,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? "/").split("?", 1)[0] === metricsPath) return endpoint(req, res);
    writeConnectError(res, Code.NotFound, `no such path: ${req.url}; this port serves ${metricsPath}`);
  });
  // Scrapers keep their connection between scrapes; nothing here waits on a slow client.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
