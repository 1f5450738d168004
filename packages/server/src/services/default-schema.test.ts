/**
 * The built-in configuration schema a runner has until it reports its own (behaviour.md §5,
 * docs/configuration.md). Pure: no server, no database.
 */
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { describe, expect, it } from "vitest";
import { defaultSchema } from "./default-schema.js";

const publicUrl = "https://runnerplane.example.com";

describe("defaultSchema", () => {
  it.each([
    ["github", "github.com"],
    ["gitlab", "gitlab.com"],
    ["bitbucket", "bitbucket.org"],
    ["azuredevops", "dev.azure.com"],
  ])("describes %s on %s with an OAuth callback on this server and PAT guidance", (scmId, host) => {
    const scm = defaultSchema(RunnerProvider.AWS_EC2, publicUrl).scm.find((s) => s.scmId === scmId);
    expect(scm?.name).not.toBe("");
    expect(scm?.defaultHosts).toEqual([host]);
    expect(scm?.oauth?.callbackUrl).toBe(`${publicUrl}/auth/oauth2/callback`);
    expect(scm?.pat?.description).not.toBe("");
    expect(scm?.pat?.docsLink).toMatch(/^https:\/\//);
  });

  it("lists exactly the four SCMs", () => {
    expect(defaultSchema(RunnerProvider.GCP, publicUrl).scm.map((s) => s.scmId)).toEqual([
      "github",
      "gitlab",
      "bitbucket",
      "azuredevops",
    ]);
  });

  it("builds the callback URLs from the public URL it is given", () => {
    const schema = defaultSchema(RunnerProvider.AWS_EC2, "http://localhost:9999");
    for (const scm of schema.scm) {
      expect(scm.oauth?.callbackUrl).toBe("http://localhost:9999/auth/oauth2/callback");
    }
  });

  it("has the environment-class fields cpu and memory (required ints) and disk (optional int)", () => {
    const fields = defaultSchema(RunnerProvider.AWS_EC2, publicUrl).environmentClasses;
    expect(fields.map((f) => [f.id, f.required, f.type.case])).toEqual([
      ["cpu", true, "int"],
      ["memory", true, "int"],
      ["disk", false, "int"],
    ]);
    for (const f of fields) {
      expect(f.name).not.toBe("");
      expect(f.description).not.toBe("");
      // Bounded, with the default inside the bounds, and never "unbounded" (min = max = 0).
      if (f.type.case !== "int") throw new Error("not an int field");
      const { min, max, default: d } = f.type.value;
      expect(min).toBeGreaterThanOrEqual(1);
      expect(max).toBeGreaterThan(min);
      expect(d).toBeGreaterThanOrEqual(min);
      expect(d).toBeLessThanOrEqual(max);
    }
    expect(fields.find((f) => f.id === "memory")?.name).toContain("MiB");
    expect(fields.find((f) => f.id === "disk")?.name).toContain("GiB");
  });

  it("gives local runners smaller defaults than remote ones", () => {
    const defaults = (provider: RunnerProvider | undefined) =>
      Object.fromEntries(
        defaultSchema(provider, publicUrl).environmentClasses.map((f) => [
          f.id,
          f.type.case === "int" ? f.type.value.default : undefined,
        ]),
      ) as Record<string, number>;
    const remote = defaults(RunnerProvider.AWS_EC2);
    for (const provider of [RunnerProvider.GCP, RunnerProvider.MANAGED, undefined]) {
      expect(defaults(provider)).toEqual(remote);
    }
    for (const provider of [RunnerProvider.LINUX_HOST, RunnerProvider.DESKTOP_MAC, RunnerProvider.DEV_AGENT]) {
      const local = defaults(provider);
      for (const key of ["cpu", "memory", "disk"]) expect(local[key]).toBeLessThan(remote[key] as number);
    }
  });

  it("returns a fresh schema each time, so callers cannot change the default", () => {
    const a = defaultSchema(RunnerProvider.AWS_EC2, publicUrl);
    a.environmentClasses.pop();
    expect(defaultSchema(RunnerProvider.AWS_EC2, publicUrl).environmentClasses).toHaveLength(3);
  });
});
