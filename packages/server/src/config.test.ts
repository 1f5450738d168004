import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

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
