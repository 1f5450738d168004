/**
 * Server settings, read once from the environment by main.ts and passed down.
 * Every variable is documented in the README's "Configuration" table; bad values stop
 * start-up with a message naming the variable.
 */
import path from "node:path";
import { parseSecretKeys, type SecretKey } from "./crypto/index.js";
import { cookiesAreSecure } from "./http/binding-cookie.js";
import { isLogLevel, type LogLevel } from "./logging/index.js";
import { hasSecurePrefix, httpsSessionCookieName, type SignInSettings, signInDefaults } from "./sign-in/settings.js";

export interface Config {
  /** TCP port for every protocol (PORT, default 8080). */
  port: number;
  /** Interface to bind (HOST, default 0.0.0.0). */
  host: string;
  /** External Postgres; when absent the embedded default runs (DATABASE_URL). */
  databaseUrl: string | undefined;
  /** Where the embedded Postgres and other local state live (RUNNERPLANE_DATA_DIR). */
  dataDir: string;
  /** Maximum connections in the Postgres pool (RUNNERPLANE_DB_POOL_SIZE, default `defaultDbPoolSize`). */
  dbPoolSize: number;
  /** How long a new Postgres connection may take to be ready, in ms (RUNNERPLANE_DB_CONNECT_TIMEOUT_MS, default 5 000). */
  dbConnectTimeoutMs: number;
  /** Public base URL of this server, for URLs handed to users (RUNNERPLANE_PUBLIC_URL). */
  publicUrl: string;
  /** Browser origins allowed by CORS; "*" allows any (RUNNERPLANE_CORS_ORIGINS, comma-separated). */
  corsOrigins: string[];
  /** Request headers browsers may send beyond the standard ones (RUNNERPLANE_CORS_ALLOWED_HEADERS, comma-separated). */
  corsAllowedHeaders: string[];
  /** Largest accepted request body in bytes (RUNNERPLANE_MAX_BODY_BYTES, default 4 MiB). */
  maxBodyBytes: number;
  /** Server-side deadline for unary calls in ms (RUNNERPLANE_REQUEST_TIMEOUT_MS, default 30 000). */
  requestTimeoutMs: number;
  /** How long shutdown waits for in-flight requests in ms (RUNNERPLANE_SHUTDOWN_TIMEOUT_MS, default 10 000). */
  shutdownTimeoutMs: number;
  /** How long a connection may take to send complete request headers, in ms (RUNNERPLANE_HEADERS_TIMEOUT_MS, default 10 000). */
  headersTimeoutMs: number;
  /** How long an idle HTTP/1.1 keep-alive connection stays open, in ms (RUNNERPLANE_KEEP_ALIVE_TIMEOUT_MS, default 5 000). */
  keepAliveTimeoutMs: number;
  /** How long an HTTP/2 session with no open stream stays open before GOAWAY, in ms (RUNNERPLANE_HTTP2_IDLE_TIMEOUT_MS, default 5 min). */
  http2IdleTimeoutMs: number;
  /** How long a deleted runner has to acknowledge before it is removed anyway (RUNNERPLANE_RUNNER_DELETE_GRACE_MS, default 5 min). */
  runnerDeleteGraceMs: number;
  /** Take client addresses from the last X-Forwarded-For hop (RUNNERPLANE_TRUST_PROXY, default false). */
  trustProxy: boolean;
  /** How long audit log entries are kept, in days (RUNNERPLANE_AUDIT_RETENTION_DAYS, default 365). */
  auditLogRetentionDays: number;
  /** Keys for secrets at rest (RUNNERPLANE_SECRET_KEYS, `id:base64,…`, first encrypts); required with DATABASE_URL. */
  secretKeys: SecretKey[] | undefined;
  logLevel: LogLevel;
  /** A port of its own serving only /metrics (RUNNERPLANE_METRICS_PORT); unset: none. */
  metricsPort: number | undefined;
  /** Interface the metrics port binds (RUNNERPLANE_METRICS_HOST, default HOST). */
  metricsHost: string;
  /** Bearer token /metrics asks for, on the public port and the metrics port (RUNNERPLANE_METRICS_TOKEN). */
  metricsToken: string | undefined;
  /**
   * Where spans go (OTLP over HTTP, protobuf): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
   * OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. Unset: no tracing at all.
   */
  otlpTracesUrl: string | undefined;
  /** The web console's built files (RUNNERPLANE_CONSOLE_DIR); unset: packages/console/dist beside the server. */
  consoleDir: string | undefined;
  /** Sessions, their cookie, return paths and OIDC issuers (RUNNERPLANE_SESSION_*, RUNNERPLANE_SIGN_IN_RETURN_PATHS, RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS; docs/sign-in.md). */
  signIn: SignInSettings;
}

export type Env = Record<string, string | undefined>;

/**
 * Postgres connections per server process. One Node process sends queries from one thread;
 * once every connection is busy, postgres.js pipelines further queries on them and sends
 * a connection's queued queries in one write. With 5 rather than 10 connections, the bench
 * spent 5–9% less CPU per call on every scenario but one, a tie (docs/performance.md).
 * Raise it for a remote database under many concurrent transactions, each of which holds a
 * connection until it ends.
 */
export const defaultDbPoolSize = 5;

/**
 * How long a connection may stay silent or idle (behaviour.md §1 "Slow and silent clients";
 * docs/decisions.md "One port for HTTP/1.1 and h2c"). Also the fallback for builds whose
 * config leaves them out (tests, the bench).
 */
export const connectionDefaults = {
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  http2IdleTimeoutMs: 300_000,
} as const;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: Env, cwd: string): Config {
  const port = integer(env, "PORT", 8080, 0, 65535);
  const host = env.HOST || "0.0.0.0";
  const logLevel = env.RUNNERPLANE_LOG_LEVEL || "info";
  if (!isLogLevel(logLevel)) {
    throw new ConfigError(`RUNNERPLANE_LOG_LEVEL must be one of debug, info, warn, error (got "${logLevel}")`);
  }
  const publicUrl = env.RUNNERPLANE_PUBLIC_URL || `http://localhost:${port}`;
  if (!URL.canParse(publicUrl)) {
    throw new ConfigError(`RUNNERPLANE_PUBLIC_URL must be an absolute URL (got "${publicUrl}")`);
  }
  const metricsPort = env.RUNNERPLANE_METRICS_PORT ? integer(env, "RUNNERPLANE_METRICS_PORT", 0, 0, 65535) : undefined;
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError(`RUNNERPLANE_METRICS_PORT must differ from PORT (both are ${port})`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  return {
    port,
    host,
    databaseUrl,
    dataDir: path.resolve(cwd, env.RUNNERPLANE_DATA_DIR || ".data"),
    dbPoolSize: integer(env, "RUNNERPLANE_DB_POOL_SIZE", defaultDbPoolSize, 1, 1000),
    dbConnectTimeoutMs: integer(env, "RUNNERPLANE_DB_CONNECT_TIMEOUT_MS", 5_000, 100, 600_000),
    publicUrl: publicUrl.replace(/\/+$/, ""),
    corsOrigins: corsOrigins(env.RUNNERPLANE_CORS_ORIGINS),
    corsAllowedHeaders: headerNames(env.RUNNERPLANE_CORS_ALLOWED_HEADERS),
    maxBodyBytes: integer(env, "RUNNERPLANE_MAX_BODY_BYTES", 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    requestTimeoutMs: integer(env, "RUNNERPLANE_REQUEST_TIMEOUT_MS", 30_000, 1, 3_600_000),
    shutdownTimeoutMs: integer(env, "RUNNERPLANE_SHUTDOWN_TIMEOUT_MS", 10_000, 0, 3_600_000),
    headersTimeoutMs: integer(env, "RUNNERPLANE_HEADERS_TIMEOUT_MS", connectionDefaults.headersTimeoutMs, 100, 600_000),
    keepAliveTimeoutMs: integer(
      env,
      "RUNNERPLANE_KEEP_ALIVE_TIMEOUT_MS",
      connectionDefaults.keepAliveTimeoutMs,
      100,
      3_600_000,
    ),
    http2IdleTimeoutMs: integer(
      env,
      "RUNNERPLANE_HTTP2_IDLE_TIMEOUT_MS",
      connectionDefaults.http2IdleTimeoutMs,
      1_000,
      86_400_000,
    ),
    runnerDeleteGraceMs: integer(env, "RUNNERPLANE_RUNNER_DELETE_GRACE_MS", 300_000, 1_000, 86_400_000),
    trustProxy: boolean(env, "RUNNERPLANE_TRUST_PROXY", false),
    auditLogRetentionDays: integer(env, "RUNNERPLANE_AUDIT_RETENTION_DAYS", 365, 1, 36_500),
    secretKeys: secretKeys(env.RUNNERPLANE_SECRET_KEYS),
    logLevel,
    metricsPort,
    metricsHost: env.RUNNERPLANE_METRICS_HOST || host,
    metricsToken: metricsToken(env.RUNNERPLANE_METRICS_TOKEN),
    otlpTracesUrl: otlpTracesUrl(env),
    consoleDir: env.RUNNERPLANE_CONSOLE_DIR ? path.resolve(cwd, env.RUNNERPLANE_CONSOLE_DIR) : undefined,
    signIn: signInSettings(env, publicUrl),
  };
}

function signInSettings(env: Env, publicUrl: string): SignInSettings {
  const secure = cookiesAreSecure(publicUrl);
  const cookieName = env.RUNNERPLANE_SESSION_COOKIE || (secure ? httpsSessionCookieName : signInDefaults.cookieName);
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(cookieName)) {
    throw new ConfigError(
      `RUNNERPLANE_SESSION_COOKIE must be a cookie name (letters, digits, ! # $ % & ' * + . ^ _ \` | ~ -), got "${cookieName}"`,
    );
  }
  if (hasSecurePrefix(cookieName) && !secure) {
    throw new ConfigError(
      `RUNNERPLANE_SESSION_COOKIE "${cookieName}" needs an https RUNNERPLANE_PUBLIC_URL: browsers keep __Host- and __Secure- cookies only from secure origins`,
    );
  }
  const returnPaths = list(env.RUNNERPLANE_SIGN_IN_RETURN_PATHS);
  for (const p of returnPaths) {
    if (!p.startsWith("/") || p.startsWith("//") || p.includes("\\")) {
      throw new ConfigError(`RUNNERPLANE_SIGN_IN_RETURN_PATHS: "${p}" is not a path on this server (e.g. /console/)`);
    }
  }
  const insecure = (env.RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS ?? "").trim().toLowerCase();
  if (!["", "true", "false"].includes(insecure)) {
    throw new ConfigError(`RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS must be true or false (got "${insecure}")`);
  }
  const idleTimeoutMs = integer(
    env,
    "RUNNERPLANE_SESSION_IDLE_TIMEOUT_MS",
    signInDefaults.idleTimeoutMs,
    60_000,
    31 * 86_400_000,
  );
  const maxAgeMs = integer(env, "RUNNERPLANE_SESSION_MAX_AGE_MS", signInDefaults.maxAgeMs, 60_000, 366 * 86_400_000);
  return {
    cookieName,
    idleTimeoutMs,
    maxAgeMs,
    returnPaths: returnPaths.length > 0 ? returnPaths : signInDefaults.returnPaths,
    allowInsecureIssuers: insecure === "true",
  };
}

/** A bearer token: visible ASCII without spaces (it travels in a header), long enough not to be guessed. */
function metricsToken(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^[\x21-\x7e]+$/.test(raw) || raw.length < 16) {
    throw new ConfigError(
      "RUNNERPLANE_METRICS_TOKEN must be at least 16 visible ASCII characters without spaces (e.g. openssl rand -hex 32)",
    );
  }
  return raw;
}

/**
 * The OTLP traces endpoint, by the OpenTelemetry SDK's rules: the signal's own variable as
 * it is, or the base endpoint with `/v1/traces`. `OTEL_SDK_DISABLED=true` and
 * `OTEL_TRACES_EXPORTER=none` turn tracing off. Only OTLP over HTTP with protobuf is built
 * in, so another protocol stops start-up rather than sending protobuf to, say, a gRPC port.
 */
function otlpTracesUrl(env: Env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const exporters = list(env.OTEL_TRACES_EXPORTER);
  for (const exporter of exporters) {
    if (exporter !== "otlp" && exporter !== "none") {
      throw new ConfigError(`OTEL_TRACES_EXPORTER: only otlp (or none) is supported (got "${exporter}")`);
    }
  }
  if (exporters.length > 0 && !exporters.includes("otlp")) return undefined;
  const name = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    : "OTEL_EXPORTER_OTLP_ENDPOINT";
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (url === undefined) return undefined;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new ConfigError(`${name} must be an http:// or https:// URL (got "${env[name]}")`);
  }
  const protocolName = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
    : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = env[protocolName];
  if (protocol && protocol !== "http/protobuf") {
    throw new ConfigError(`${protocolName}: only http/protobuf is supported (got "${protocol}")`);
  }
  return url;
}

function secretKeys(raw: string | undefined): SecretKey[] | undefined {
  if (!raw) return undefined;
  try {
    return parseSecretKeys(raw);
  } catch (error) {
    throw new ConfigError(`RUNNERPLANE_SECRET_KEYS: ${(error as Error).message}`);
  }
}

function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Each origin exactly as a browser sends it, `scheme://host[:port]`: a value with a path, a
 * trailing slash or no scheme would never match, so it stops start-up instead.
 */
function corsOrigins(raw: string | undefined): string[] {
  const origins = list(raw);
  for (const origin of origins) {
    if (origin === "*") continue;
    const url = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin) {
      throw new ConfigError(
        `RUNNERPLANE_CORS_ORIGINS: "${origin}" is not an origin; write scheme://host[:port], without a path or trailing slash (e.g. https://app.example.com)`,
      );
    }
  }
  return origins;
}

function headerNames(raw: string | undefined): string[] {
  const names = list(raw);
  for (const name of names) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new ConfigError(`RUNNERPLANE_CORS_ALLOWED_HEADERS: "${name}" is not a header name`);
    }
  }
  return names;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}
