export type { Cursor, PageTokens } from "./page-token.js";
export { createPageTokens, pageSizeOf, pageTokensFromDatabase } from "./page-token.js";
export type { PaginateOptions } from "./paginate.js";
export { paginate } from "./paginate.js";
