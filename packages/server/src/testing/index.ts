export { callError } from "./connect-error.js";
export type { TestDatabase } from "./database.js";
export { createEmptyDatabase, createTestDatabase } from "./database.js";
export type { SeededMember, SeededOrganization } from "./seed.js";
export { bearer, seedMember, seedOrganization } from "./seed.js";
export type { TestServer } from "./server.js";
export { startTestServer, testServerConfig } from "./server.js";
export { subjectMapHolder } from "./test-messages.js";
