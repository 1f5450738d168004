export type { TestDatabase } from "./database.js";
export { createEmptyDatabase, createTestDatabase } from "./database.js";
export type { TestServer } from "./server.js";
export { startTestServer, testServerConfig } from "./server.js";
