export { assertValid, assertValidFields, createValidationInterceptor, validationError } from "./interceptor.js";
export type { Violation } from "./validate.js";
export { isUuid, validateFields, validateMessage } from "./validate.js";
