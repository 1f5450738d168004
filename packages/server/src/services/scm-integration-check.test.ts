/**
 * The database-free checks of an SCM integration (behaviour.md §5): host names, and one
 * error per result field of checkScmIntegration(). Pure: no server, no database.
 */
import { create } from "@bufbuild/protobuf";
import { RunnerConfigurationSchemaSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { describe, expect, it } from "vitest";
import { defaultSchema } from "./default-schema.js";
import { checkScmIntegration, hasErrors, isValidHost, type ScmIntegrationInput } from "./scm-integration-check.js";

describe("isValidHost", () => {
  const label63 = "a".repeat(63);
  const label64 = "a".repeat(64);

  it.each([
    "github.com",
    "GitHub.com",
    "localhost",
    "git.example.com",
    "git-lab.example.co.uk",
    "a",
    "1password.com",
    "xn--bcher-kva.example",
    "git.example.com:8443",
    "git.example.com:1",
    "git.example.com:65535",
    "10.0.0.1",
    "192.168.1.20:3000",
    `${label63}.example.com`,
    `${"a".repeat(61)}.${"b".repeat(61)}.${"c".repeat(61)}.${"d".repeat(61)}.abcde`, // 253 characters
  ])("accepts %s", (host) => {
    expect(isValidHost(host)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["a port of 0", "git.example.com:0"],
    ["a port of 65536", "git.example.com:65536"],
    ["a port of six digits", "git.example.com:100000"],
    ["an empty port", "git.example.com:"],
    ["a port without host", ":8443"],
    ["a non-numeric port", "git.example.com:https"],
    ["two ports", "git.example.com:80:81"],
    ["a label of 64 characters", `${label64}.example.com`],
    ["a name of 254 characters", `${"a".repeat(61)}.${"b".repeat(61)}.${"c".repeat(61)}.${"d".repeat(61)}.abcdef`],
    ["a trailing dot", "github.com."],
    ["a leading dot", ".github.com"],
    ["an empty label", "git..example.com"],
    ["a label starting with a hyphen", "-git.example.com"],
    ["a label ending with a hyphen", "git-.example.com"],
    ["an underscore", "git_lab.example.com"],
    ["a scheme", "https://github.com"],
    ["a path", "github.com/org"],
    ["a user", "me@github.com"],
    ["a space", "git hub.com"],
    ["surrounding whitespace", " github.com"],
    ["an IPv6 literal", "[::1]:8080"],
  ])("rejects %s", (_what, host) => {
    expect(isValidHost(host)).toBe(false);
  });
});

describe("checkScmIntegration", () => {
  const schema = defaultSchema(undefined, "https://runnerplane.example");
  const valid: ScmIntegrationInput = {
    scmId: "github",
    host: "github.example.com",
    oauthClientId: "client",
    hasSecret: true,
    pat: true,
    virtualDirectory: undefined,
  };
  const check = (change: Partial<ScmIntegrationInput>, s = schema) => checkScmIntegration({ ...valid, ...change }, s);

  it("finds nothing wrong with a complete integration", () => {
    expect(check({})).toEqual({});
    expect(hasErrors(check({}))).toBe(false);
  });

  it("accepts a PAT-only integration and one with neither OAuth nor PAT", () => {
    expect(check({ oauthClientId: undefined, hasSecret: false })).toEqual({});
    expect(check({ oauthClientId: "", hasSecret: false, pat: false })).toEqual({});
  });

  it("rejects an unknown scm_id, naming the SCMs the runner supports", () => {
    const errors = check({ scmId: "gitea" });
    expect(Object.keys(errors)).toEqual(["scmIdError"]);
    expect(errors.scmIdError).toContain('"gitea"');
    expect(errors.scmIdError).toContain("github, gitlab, bitbucket, azuredevops");
    expect(hasErrors(errors)).toBe(true);
  });

  it("says the runner supports none when its schema lists no SCM", () => {
    expect(check({}, create(RunnerConfigurationSchemaSchema, {})).scmIdError).toContain("none");
  });

  it("rejects a host that is not a host name", () => {
    const errors = check({ host: "https://github.example.com" });
    expect(Object.keys(errors)).toEqual(["hostError"]);
    expect(errors.hostError).toContain("https://github.example.com");
  });

  it.each([
    ["a client id without secret", { hasSecret: false }],
    ["a secret without client id", { oauthClientId: undefined }],
    ["a secret with an empty client id", { oauthClientId: "" }],
  ])("rejects %s", (_what, change) => {
    const errors = check(change);
    expect(Object.keys(errors)).toEqual(["oauthError"]);
    expect(errors.oauthError).toContain("together");
  });

  it("rejects OAuth and PAT when the runner's schema does not offer them for that SCM", () => {
    const bare = create(RunnerConfigurationSchemaSchema, { scm: [{ scmId: "gitea", name: "Gitea" }] });
    const errors = check({ scmId: "gitea" }, bare);
    expect(errors).toEqual({
      oauthError: "Gitea integrations on this runner do not support OAuth",
      patError: "Gitea integrations on this runner do not support personal access tokens",
    });
    expect(check({ scmId: "gitea", oauthClientId: undefined, hasSecret: false, pat: false }, bare)).toEqual({});
  });

  it("takes a virtual directory for azuredevops only", () => {
    expect(check({ scmId: "azuredevops", host: "dev.azure.com", virtualDirectory: "tfs" })).toEqual({});
    expect(check({ virtualDirectory: "" })).toEqual({});
    expect(check({ virtualDirectory: "tfs" })).toEqual({
      hostError: "virtual_directory is only for azuredevops integrations",
    });
  });

  it("keeps the host's own error when the virtual directory is wrong too", () => {
    const errors = check({ host: "not a host", virtualDirectory: "tfs" });
    expect(errors.hostError).toContain("is not a host name");
  });

  it("reports every failing field at once", () => {
    const errors = check({ scmId: "gitea", host: "", hasSecret: false });
    expect(Object.keys(errors).sort()).toEqual(["hostError", "oauthError", "scmIdError"]);
  });
});
