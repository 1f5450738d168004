export type { OpenApiOptions } from "./document.js";
export { openApiDocument } from "./document.js";
export { openApiFile, openApiPath, openApiRoute } from "./openapi-route.js";
