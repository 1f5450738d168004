export type { LogFields, Logger, LoggerOptions, LogLevel } from "./logger.js";
export { createLogger, isLogLevel, silentLogger } from "./logger.js";
