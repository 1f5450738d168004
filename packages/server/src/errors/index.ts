export { connectErrorFromDatabase, nonRetryableCodes, toPublicError } from "./error-mapping.js";
