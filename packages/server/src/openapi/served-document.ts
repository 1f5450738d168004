/**
 * The document this server serves: openApiDocument() over the served services, with the
 * authentication interceptor's rule for which calls need a token, the server's version and
 * the .proto files' comments (proto-comments.ts).
 * `pnpm generate` writes it to packages/server/openapi.json (write-document.ts); a test
 * checks that file is current, so a changed .proto without a regenerated document fails.
 */
import { readFileSync } from "node:fs";
import { isPublicMethod } from "../auth/index.js";
import { servedServices } from "../routes.js";
import { openApiDocument } from "./document.js";
import type { Describe } from "./proto-comments.js";

export { openApiFile } from "./openapi-route.js";

export function servedOpenApiDocument(describe?: Describe): Record<string, unknown> {
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return openApiDocument({
    services: servedServices,
    isPublic: (_s, m) => isPublicMethod(m),
    version,
    ...(describe ? { describe } : {}),
  });
}

/** The document as written to openapi.json: stable key order, two-space indent, a final newline. */
export function openApiText(document: Record<string, unknown>): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
