import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("CORS settings", () => {
  it("takes origins written scheme://host[:port], and *", () => {
    const env = { RUNNERPLANE_CORS_ORIGINS: "https://app.example.com, http://localhost:5173,*" };
    expect(loadConfig(env, "/srv").corsOrigins).toEqual(["https://app.example.com", "http://localhost:5173", "*"]);
  });

  it("stops start-up on an origin that could never match, naming the variable", () => {
    for (const bad of [
      "https://app.example.com/",
      "app.example.com",
      "https://app.example.com/console",
      "ftp://x.test",
    ]) {
      expect(() => loadConfig({ RUNNERPLANE_CORS_ORIGINS: bad }, "/srv")).toThrow(
        /RUNNERPLANE_CORS_ORIGINS: ".*" is not an origin/,
      );
    }
  });

  it("takes extra allowed request headers, and refuses what is not a header name", () => {
    expect(loadConfig({ RUNNERPLANE_CORS_ALLOWED_HEADERS: "x-acme, baggage" }, "/srv").corsAllowedHeaders).toEqual([
      "x-acme",
      "baggage",
    ]);
    expect(() => loadConfig({ RUNNERPLANE_CORS_ALLOWED_HEADERS: "x acme" }, "/srv")).toThrow(
      /RUNNERPLANE_CORS_ALLOWED_HEADERS/,
    );
  });
});

describe("the Postgres connect timeout", () => {
  it("is 5 s unless RUNNERPLANE_DB_CONNECT_TIMEOUT_MS says otherwise, and refuses nonsense naming the variable", () => {
    expect(loadConfig({}, "/srv").dbConnectTimeoutMs).toBe(5000);
    expect(loadConfig({ RUNNERPLANE_DB_CONNECT_TIMEOUT_MS: "1500" }, "/srv").dbConnectTimeoutMs).toBe(1500);
    expect(() => loadConfig({ RUNNERPLANE_DB_CONNECT_TIMEOUT_MS: "soon" }, "/srv")).toThrow(
      /RUNNERPLANE_DB_CONNECT_TIMEOUT_MS/,
    );
  });
});

describe("the Postgres pool size", () => {
  it("is 5 connections per server process unless RUNNERPLANE_DB_POOL_SIZE says otherwise", () => {
    expect(loadConfig({}, "/srv").dbPoolSize).toBe(5);
    expect(loadConfig({ RUNNERPLANE_DB_POOL_SIZE: "20" }, "/srv").dbPoolSize).toBe(20);
  });

  it("refuses a size that is not a whole number from 1 to 1000, naming the variable", () => {
    for (const raw of ["0", "2.5", "many", "1001"]) {
      expect(() => loadConfig({ RUNNERPLANE_DB_POOL_SIZE: raw }, "/srv")).toThrow(ConfigError);
      expect(() => loadConfig({ RUNNERPLANE_DB_POOL_SIZE: raw }, "/srv")).toThrow(/RUNNERPLANE_DB_POOL_SIZE/);
    }
  });
});

describe("connection timeouts", () => {
  it("default to 10 s for headers, 5 s for an idle keep-alive connection and 5 min for an idle HTTP/2 session", () => {
    const config = loadConfig({}, "/srv");
    expect(config.headersTimeoutMs).toBe(10_000);
    expect(config.keepAliveTimeoutMs).toBe(5_000);
    expect(config.http2IdleTimeoutMs).toBe(300_000);
  });

  it("are read from their variables", () => {
    const config = loadConfig(
      {
        RUNNERPLANE_HEADERS_TIMEOUT_MS: "2500",
        RUNNERPLANE_KEEP_ALIVE_TIMEOUT_MS: "65000",
        RUNNERPLANE_HTTP2_IDLE_TIMEOUT_MS: "60000",
      },
      "/srv",
    );
    expect([config.headersTimeoutMs, config.keepAliveTimeoutMs, config.http2IdleTimeoutMs]).toEqual([
      2_500, 65_000, 60_000,
    ]);
  });

  it.each(["RUNNERPLANE_HEADERS_TIMEOUT_MS", "RUNNERPLANE_KEEP_ALIVE_TIMEOUT_MS", "RUNNERPLANE_HTTP2_IDLE_TIMEOUT_MS"])(
    "refuses a %s that is not a whole number of milliseconds in range, naming the variable",
    (name) => {
      for (const raw of ["0", "soon", "1.5", "99999999999"]) {
        expect(() => loadConfig({ [name]: raw }, "/srv")).toThrow(new RegExp(name));
      }
    },
  );
});

describe("metrics settings", () => {
  it("serve no metrics unless a metrics port or token is set", () => {
    const config = loadConfig({}, "/srv");
    expect(config.metricsPort).toBeUndefined();
    expect(config.metricsToken).toBeUndefined();
    expect(config.metricsHost).toBe("0.0.0.0");
  });

  it("take a port of their own, bound where HOST is unless RUNNERPLANE_METRICS_HOST says otherwise", () => {
    expect(loadConfig({ RUNNERPLANE_METRICS_PORT: "9464", HOST: "10.0.0.5" }, "/srv")).toMatchObject({
      metricsPort: 9464,
      metricsHost: "10.0.0.5",
    });
    expect(
      loadConfig({ RUNNERPLANE_METRICS_PORT: "9464", RUNNERPLANE_METRICS_HOST: "127.0.0.1" }, "/srv"),
    ).toMatchObject({ metricsHost: "127.0.0.1" });
  });

  it("refuse a metrics port that is no port, or the public one, naming the variable", () => {
    for (const raw of ["soon", "-1", "65536"]) {
      expect(() => loadConfig({ RUNNERPLANE_METRICS_PORT: raw }, "/srv")).toThrow(/RUNNERPLANE_METRICS_PORT/);
    }
    expect(() => loadConfig({ RUNNERPLANE_METRICS_PORT: "8080" }, "/srv")).toThrow(
      "RUNNERPLANE_METRICS_PORT must differ from PORT (both are 8080)",
    );
  });

  it("take a bearer token of at least 16 visible characters, and refuse a weaker one", () => {
    expect(loadConfig({ RUNNERPLANE_METRICS_TOKEN: "0123456789abcdef" }, "/srv").metricsToken).toBe("0123456789abcdef");
    for (const raw of ["short", "has a space in it somewhere", "tab\tseparated-token-value"]) {
      expect(() => loadConfig({ RUNNERPLANE_METRICS_TOKEN: raw }, "/srv")).toThrow(ConfigError);
      expect(() => loadConfig({ RUNNERPLANE_METRICS_TOKEN: raw }, "/srv")).toThrow(/RUNNERPLANE_METRICS_TOKEN/);
    }
  });
});

describe("the OTLP traces endpoint", () => {
  it("is unset, and tracing off, without the OpenTelemetry endpoint variables", () => {
    expect(loadConfig({}, "/srv").otlpTracesUrl).toBeUndefined();
  });

  it("follows the SDK's rules: the base endpoint gets /v1/traces, the traces endpoint is taken as it is", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, "/srv").otlpTracesUrl).toBe(
      "http://collector:4318/v1/traces",
    );
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/base/" }, "/srv").otlpTracesUrl).toBe(
      "https://otel.example.com/base/v1/traces",
    );
    expect(
      loadConfig(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces.example.com:4318/custom",
        },
        "/srv",
      ).otlpTracesUrl,
    ).toBe("http://traces.example.com:4318/custom");
  });

  it("is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: "true" }, "/srv").otlpTracesUrl).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: "none" }, "/srv").otlpTracesUrl).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: "otlp" }, "/srv").otlpTracesUrl).toBeDefined();
  });

  it("refuses what it cannot export to, naming the variable", () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, "/srv")).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "grpc://collector:4317" }, "/srv")).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http/,
    );
    expect(() =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, "/srv"),
    ).toThrow('OTEL_EXPORTER_OTLP_PROTOCOL: only http/protobuf is supported (got "grpc")');
    expect(() =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "zipkin" }, "/srv"),
    ).toThrow(/OTEL_TRACES_EXPORTER/);
  });
});

describe("audit log settings", () => {
  it("trust no proxy and keep entries 365 days unless told otherwise", () => {
    const config = loadConfig({}, "/srv");
    expect(config.trustProxy).toBe(false);
    expect(config.auditLogRetentionDays).toBe(365);
    const told = loadConfig({ RUNNERPLANE_TRUST_PROXY: "true", RUNNERPLANE_AUDIT_RETENTION_DAYS: "90" }, "/srv");
    expect(told.trustProxy).toBe(true);
    expect(told.auditLogRetentionDays).toBe(90);
  });

  it("refuse a trust setting that is not true or false, and a retention that is not 1 to 36500 days", () => {
    expect(() => loadConfig({ RUNNERPLANE_TRUST_PROXY: "yes" }, "/srv")).toThrow(
      /RUNNERPLANE_TRUST_PROXY must be true or false/,
    );
    for (const days of ["0", "1.5", "forever", "36501"]) {
      expect(() => loadConfig({ RUNNERPLANE_AUDIT_RETENTION_DAYS: days }, "/srv")).toThrow(
        /RUNNERPLANE_AUDIT_RETENTION_DAYS must be an integer from 1 to 36500/,
      );
    }
  });
});

describe("sign-in settings", () => {
  it("default to behaviour.md §13's sessions: 12 h idle, 7 days in all, cookie rp_session, return to /", () => {
    expect(loadConfig({}, "/srv").signIn).toEqual({
      cookieName: "rp_session",
      idleTimeoutMs: 12 * 3_600_000,
      maxAgeMs: 7 * 86_400_000,
      returnPaths: ["/"],
      allowInsecureIssuers: false,
    });
  });

  it("take their variables, and stop start-up on nonsense naming the variable", () => {
    const signIn = loadConfig(
      {
        RUNNERPLANE_PUBLIC_URL: "https://rp.example.com",
        RUNNERPLANE_SESSION_COOKIE: "__Host-rp",
        RUNNERPLANE_SESSION_IDLE_TIMEOUT_MS: "3600000",
        RUNNERPLANE_SESSION_MAX_AGE_MS: "86400000",
        RUNNERPLANE_SIGN_IN_RETURN_PATHS: "/console/, /docs/",
        RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS: "true",
      },
      "/srv",
    ).signIn;
    expect(signIn).toEqual({
      cookieName: "__Host-rp",
      idleTimeoutMs: 3_600_000,
      maxAgeMs: 86_400_000,
      returnPaths: ["/console/", "/docs/"],
      allowInsecureIssuers: true,
    });
    for (const [name, value] of [
      ["RUNNERPLANE_SESSION_COOKIE", "rp session"],
      ["RUNNERPLANE_SESSION_IDLE_TIMEOUT_MS", "soon"],
      ["RUNNERPLANE_SESSION_MAX_AGE_MS", "0"],
      ["RUNNERPLANE_SIGN_IN_RETURN_PATHS", "https://evil.example/"],
      ["RUNNERPLANE_SIGN_IN_RETURN_PATHS", "//evil.example/"],
      ["RUNNERPLANE_OIDC_ALLOW_INSECURE_ISSUERS", "yes"],
    ] as const) {
      expect(() => loadConfig({ [name]: value }, "/srv"), `${name}=${value}`).toThrow(new RegExp(name));
    }
  });
});

describe("the session cookie's name", () => {
  it("is __Host-rp_session by default when the public URL is https, rp_session when it is http", () => {
    const https = { RUNNERPLANE_PUBLIC_URL: "https://rp.example.com" };
    expect(loadConfig(https, "/srv").signIn.cookieName).toBe("__Host-rp_session");
    expect(loadConfig({ RUNNERPLANE_PUBLIC_URL: "http://rp.internal:8080" }, "/srv").signIn.cookieName).toBe(
      "rp_session",
    );
    expect(loadConfig({ ...https, RUNNERPLANE_SESSION_COOKIE: "rp" }, "/srv").signIn.cookieName).toBe("rp");
  });

  it("stops start-up on a __Host- or __Secure- name with an http public URL, which browsers would drop", () => {
    for (const name of ["__Host-rp", "__Secure-rp", "__host-rp"]) {
      expect(() => loadConfig({ RUNNERPLANE_SESSION_COOKIE: name }, "/srv"), name).toThrow(
        /RUNNERPLANE_SESSION_COOKIE .* needs an https RUNNERPLANE_PUBLIC_URL/,
      );
    }
  });
});

describe("the console directory", () => {
  it("is the checkout's own build unless RUNNERPLANE_CONSOLE_DIR names one, resolved from the working directory", () => {
    expect(loadConfig({}, "/srv").consoleDir).toBeUndefined();
    expect(loadConfig({ RUNNERPLANE_CONSOLE_DIR: "web/dist" }, "/srv").consoleDir).toBe("/srv/web/dist");
    expect(loadConfig({ RUNNERPLANE_CONSOLE_DIR: "/opt/console" }, "/srv").consoleDir).toBe("/opt/console");
  });
});
