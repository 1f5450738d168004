/**
 * Structured logging: one JSON object per line on stdout, so log shippers can parse
 * every line. Fields are plain values; callers never pass tokens or secrets (the request
 * log records the caller's subject id, never the credential).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stdout. Tests pass a collector. */
  write?: (line: string) => void;
  /** Clock for the `time` field. */
  now?: () => Date;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in levelRank;
}

export function createLogger(options: LoggerOptions = {}, bindings: LogFields = {}): Logger {
  const min = levelRank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (levelRank[level] < min) return;
    const entry = { time: now().toISOString(), level, msg, ...bindings, ...fields };
    write(`${JSON.stringify(entry, replaceErrors)}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...bindings, ...fields }),
  };
}

/** Errors serialize as their name, message, code and stack instead of `{}`. */
function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code }),
      stack: value.stack,
      ...(value.cause === undefined ? {} : { cause: value.cause }),
    };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ write: () => {} });
