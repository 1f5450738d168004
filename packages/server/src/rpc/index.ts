export { createDeadlineInterceptor } from "./deadline-interceptor.js";
export { createErrorInterceptor, publicFailure } from "./error-interceptor.js";
export { createPaginationQueryInterceptor } from "./pagination-query-interceptor.js";
export type { RequestInfo } from "./request-info.js";
export { requestInfoKey } from "./request-info.js";
export { createRequestScopeInterceptor } from "./request-scope-interceptor.js";
