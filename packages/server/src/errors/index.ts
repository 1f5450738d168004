export {
  alreadyExistsOnUniqueViolation,
  connectErrorFromDatabase,
  nonRetryableCodes,
  toPublicError,
} from "./error-mapping.js";
