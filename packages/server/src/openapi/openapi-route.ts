/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of the Connect JSON API, as generated into
 * packages/server/openapi.json (served-document.ts). No token needed: it says nothing the
 * published .proto files do not. Read once, on the first request.
 */
import { readFile } from "node:fs/promises";
import { writeMethodNotAllowed } from "../http/error-response.js";
import type { PageRoute } from "../http/front-door.js";

/** Where the generated document is kept (the package root, for src/ and dist/ alike). */
export const openApiFile = new URL("../../openapi.json", import.meta.url);

export const openApiPath = "/openapi.json";

export function openApiRoute(file: URL = openApiFile): PageRoute {
  let body: Promise<Buffer> | undefined;
  return {
    path: openApiPath,
    async handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return writeMethodNotAllowed(res, req.method, openApiPath, "GET, HEAD");
      }
      body ??= readFile(file);
      const bytes = await body.catch((error: unknown) => {
        body = undefined;
        throw error;
      });
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": bytes.length,
        "cache-control": "no-cache",
      });
      if (req.method === "HEAD") res.end();
      else res.end(bytes);
    },
  };
}
