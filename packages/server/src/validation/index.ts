export { createValidationInterceptor, validationError } from "./interceptor.js";
export type { Violation } from "./validate.js";
export { validateMessage } from "./validate.js";
