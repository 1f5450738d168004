/**
 * An OTLP/HTTP collector stand-in for the observability scenario, in a process of its own
 * so that receiving spans costs the measured server nothing: it reads each export, counts
 * its requests and bytes, and answers 200 with an empty ExportTraceServiceResponse. Sends
 * `{ port }` when listening; answers `{ type: "count" }` with what it received.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

let exports = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on("end", () => {
    if (req.url === "/v1/traces") exports++;
    res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 }).end();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on("message", (message: { type?: string }) => {
  if (message.type === "count") process.send?.({ exports, bytes });
  if (message.type === "exit") server.close(() => process.disconnect());
});
process.on("disconnect", () => process.exit(0));
