/**
 * `pnpm generate` (after buf): writes packages/server/openapi.json from the descriptors.
 * Run from dist: `node dist/openapi/write-document.js`.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { protoComments } from "./proto-comments.js";
import { openApiFile, openApiText, servedOpenApiDocument } from "./served-document.js";

writeFileSync(openApiFile, openApiText(servedOpenApiDocument(protoComments())));
process.stdout.write(`wrote ${fileURLToPath(openApiFile)}\n`);
