/**
 * The database-free runner rules of behaviour.md §4 and docs/runners.md, one function at a time.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerPhase } from "@runnerplane/api/gitpod/v1/runner_pb";
import { describe, expect, it } from "vitest";
import {
  checkDesiredPhaseChange,
  type DbRunnerKind,
  initialDesiredPhase,
  kindFromDb,
  kindOfProvider,
  kindToDb,
  providerFromDb,
  providerToDb,
  resolveKindAndProvider,
  resolveUpdateWindow,
} from "./runner-rules.js";

/** The error `fn` throws, as a ConnectError; fails the test when it throws nothing. */
function thrown(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }
  throw new Error("expected the call to throw");
}

/** Every value of a generated numeric enum, without the reverse-mapping names. */
function enumValues<E extends number>(e: Record<string, string | number>): E[] {
  return Object.values(e).filter((v): v is E => typeof v === "number");
}

const kinds = enumValues<RunnerKind>(RunnerKind);
const providers = enumValues<RunnerProvider>(RunnerProvider);
const phases = enumValues<RunnerPhase>(RunnerPhase);

/** `[NAME, value]` rows for `it.each`, so test names read `RUNNER_PHASE`-style names, not numbers. */
function named<E extends number>(e: Record<number, string>, values: E[]): [string, E][] {
  return values.map((v) => [e[v] ?? String(v), v]);
}
const managerId = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";

type Provider = Exclude<RunnerProvider, RunnerProvider.UNSPECIFIED>;
type Kind = Exclude<RunnerKind, RunnerKind.UNSPECIFIED>;

const providerKinds: [string, Provider, DbRunnerKind][] = [
  ["AWS_EC2", RunnerProvider.AWS_EC2, "remote"],
  ["GCP", RunnerProvider.GCP, "remote"],
  ["MANAGED", RunnerProvider.MANAGED, "remote"],
  ["LINUX_HOST", RunnerProvider.LINUX_HOST, "local"],
  ["DESKTOP_MAC", RunnerProvider.DESKTOP_MAC, "local"],
  ["DEV_AGENT", RunnerProvider.DEV_AGENT, "local"],
];

describe("the enum lists used by these tests", () => {
  it("cover every generated value", () => {
    expect(kinds).toHaveLength(4);
    expect(providers).toHaveLength(7);
    expect(phases).toHaveLength(7);
    expect(providerKinds.map(([, p]) => p).sort()).toEqual(providers.filter((p) => p !== 0).sort());
  });
});

describe("kindOfProvider", () => {
  it.each(providerKinds)("deduces the kind of %s as %s", (_name, provider, kind) => {
    expect(kindOfProvider(provider)).toBe(kind);
  });
});

describe("kindToDb and kindFromDb", () => {
  it.each(
    named(
      RunnerKind,
      kinds.filter((k): k is Kind => k !== RunnerKind.UNSPECIFIED),
    ),
  )("round-trip the kind %s", (_name, kind) => {
    expect(kindFromDb[kindToDb[kind]]).toBe(kind);
  });

  it("have no name for UNSPECIFIED and map every stored name back", () => {
    expect(Object.keys(kindToDb).map(Number)).not.toContain(RunnerKind.UNSPECIFIED);
    for (const [name, kind] of Object.entries(kindFromDb) as [DbRunnerKind, Kind][]) {
      expect(kindToDb[kind]).toBe(name);
    }
    expect(Object.keys(kindFromDb)).toHaveLength(kinds.length - 1);
  });
});

describe("providerToDb and providerFromDb", () => {
  it.each(
    named(
      RunnerProvider,
      providers.filter((p): p is Provider => p !== RunnerProvider.UNSPECIFIED),
    ),
  )("round-trip the provider %s", (_name, provider) => {
    expect(providerFromDb[providerToDb[provider]]).toBe(provider);
  });

  it("have no name for UNSPECIFIED and map every stored name back", () => {
    expect(Object.keys(providerToDb).map(Number)).not.toContain(RunnerProvider.UNSPECIFIED);
    for (const [name, provider] of Object.entries(providerFromDb) as [keyof typeof providerFromDb, Provider][]) {
      expect(providerToDb[provider]).toBe(name);
    }
    expect(Object.keys(providerFromDb)).toHaveLength(providers.length - 1);
  });
});

describe("resolveKindAndProvider", () => {
  it.each(providerKinds.filter(([, p]) => p !== RunnerProvider.MANAGED))(
    "deduces the kind from the provider %s (%s)",
    (_name, provider, kind) => {
      expect(resolveKindAndProvider(RunnerKind.UNSPECIFIED, provider, "")).toEqual({
        kind,
        provider: providerToDb[provider],
      });
    },
  );

  it("deduces REMOTE for MANAGED with a runner manager id", () => {
    expect(resolveKindAndProvider(RunnerKind.UNSPECIFIED, RunnerProvider.MANAGED, managerId)).toEqual({
      kind: "remote",
      provider: "managed",
    });
  });

  it.each([
    [RunnerKind.LOCAL, "local"],
    [RunnerKind.REMOTE, "remote"],
    [RunnerKind.LOCAL_CONFIGURATION, "local_configuration"],
  ] as [Kind, DbRunnerKind][])("keeps the provider null when only a kind is given (%i → %s)", (kind, dbKind) => {
    expect(resolveKindAndProvider(kind, RunnerProvider.UNSPECIFIED, "")).toEqual({ kind: dbKind, provider: null });
  });

  it("refuses both kind and provider, naming both fields", () => {
    const error = thrown(() => resolveKindAndProvider(RunnerKind.REMOTE, RunnerProvider.AWS_EC2, ""));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/\bkind\b/);
    expect(error.rawMessage).toMatch(/\bprovider\b/);
  });

  it("refuses both kind and provider even when they agree, for every pair", () => {
    for (const kind of kinds.filter((k) => k !== RunnerKind.UNSPECIFIED)) {
      for (const provider of providers.filter((p) => p !== RunnerProvider.UNSPECIFIED)) {
        const id = provider === RunnerProvider.MANAGED ? managerId : "";
        expect(thrown(() => resolveKindAndProvider(kind, provider, id)).code).toBe(Code.InvalidArgument);
      }
    }
  });

  it("refuses neither kind nor provider, naming both fields", () => {
    const error = thrown(() => resolveKindAndProvider(RunnerKind.UNSPECIFIED, RunnerProvider.UNSPECIFIED, ""));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/\bkind\b/);
    expect(error.rawMessage).toMatch(/\bprovider\b/);
  });

  it("refuses MANAGED without a runner manager id, naming runner_manager_id", () => {
    const error = thrown(() => resolveKindAndProvider(RunnerKind.UNSPECIFIED, RunnerProvider.MANAGED, ""));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^runner_manager_id: /);
  });

  it.each(providerKinds.filter(([, p]) => p !== RunnerProvider.MANAGED))(
    "refuses a runner manager id with the provider %s",
    (_name, provider) => {
      const error = thrown(() => resolveKindAndProvider(RunnerKind.UNSPECIFIED, provider, managerId));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^runner_manager_id: /);
    },
  );

  it.each(named(RunnerKind, [RunnerKind.LOCAL, RunnerKind.REMOTE, RunnerKind.LOCAL_CONFIGURATION]))(
    "refuses a runner manager id with only the kind %s",
    (_name, kind) => {
      const error = thrown(() => resolveKindAndProvider(kind, RunnerProvider.UNSPECIFIED, managerId));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^runner_manager_id: /);
    },
  );
});

describe("initialDesiredPhase", () => {
  it("defaults an absent phase to ACTIVE", () => {
    expect(initialDesiredPhase(undefined)).toBe(RunnerPhase.ACTIVE);
  });

  it("defaults UNSPECIFIED to ACTIVE", () => {
    expect(initialDesiredPhase(RunnerPhase.UNSPECIFIED)).toBe(RunnerPhase.ACTIVE);
  });

  it.each(named(RunnerPhase, [RunnerPhase.ACTIVE, RunnerPhase.INACTIVE]))("keeps the phase %s", (_name, phase) => {
    expect(initialDesiredPhase(phase)).toBe(phase);
  });

  it.each(
    named(
      RunnerPhase,
      phases.filter((p) => ![RunnerPhase.UNSPECIFIED, RunnerPhase.ACTIVE, RunnerPhase.INACTIVE].includes(p)),
    ),
  )("refuses the phase %s, naming spec.desired_phase", (_name, phase) => {
    const error = thrown(() => initialDesiredPhase(phase));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^spec\.desired_phase: /);
  });
});

describe("resolveUpdateWindow", () => {
  const path = "spec.configuration.update_window";

  function refused(window: { startHour?: number; endHour?: number }): ConnectError {
    const error = thrown(() => resolveUpdateWindow(path, window));
    expect(error.code).toBe(Code.InvalidArgument);
    return error;
  }

  it("requires start_hour", () => {
    expect(refused({}).rawMessage).toMatch(/^spec\.configuration\.update_window\.start_hour: /);
    expect(refused({ endHour: 5 }).rawMessage).toMatch(/^spec\.configuration\.update_window\.start_hour: /);
  });

  it.each([24, 25, 100])("refuses the start hour %i", (startHour) => {
    expect(refused({ startHour }).rawMessage).toMatch(/^spec\.configuration\.update_window\.start_hour: /);
  });

  it.each([24, 25, 100])("refuses the end hour %i", (endHour) => {
    expect(refused({ startHour: 3, endHour }).rawMessage).toMatch(/^spec\.configuration\.update_window\.end_hour: /);
  });

  it.each([
    [0, 2],
    [5, 7],
    [21, 23],
    [22, 0],
    [23, 1],
  ])("defaults the end of a window starting at %i to %i", (startHour, end) => {
    expect(resolveUpdateWindow(path, { startHour })).toEqual({ start: startHour, end });
  });

  it("treats an explicitly undefined end hour as absent", () => {
    expect(resolveUpdateWindow(path, { startHour: 10, endHour: undefined })).toEqual({ start: 10, end: 12 });
  });

  it.each([0, 5, 23])("refuses a window ending where it starts (%i)", (hour) => {
    expect(refused({ startHour: hour, endHour: hour }).rawMessage).toMatch(/^spec\.configuration\.update_window: /);
  });

  it.each([
    [5, 6],
    [0, 1],
    [23, 0],
  ])("refuses the one-hour window %i→%i", (startHour, endHour) => {
    expect(refused({ startHour, endHour }).rawMessage).toMatch(/^spec\.configuration\.update_window: .*2 hours/);
  });

  it.each([
    [0, 2],
    [22, 0],
    [23, 1],
    [22, 4],
    [5, 4],
    [0, 23],
    [1, 0],
  ])("accepts the window %i→%i", (startHour, endHour) => {
    expect(resolveUpdateWindow(path, { startHour, endHour })).toEqual({ start: startHour, end: endHour });
  });

  it("names the path it is given", () => {
    const error = thrown(() => resolveUpdateWindow("update_window", { startHour: 7, endHour: 7 }));
    expect(error.rawMessage).toMatch(/^update_window: /);
    expect(thrown(() => resolveUpdateWindow("x.y", {})).rawMessage).toMatch(/^x\.y\.start_hour: /);
  });
});

describe("checkDesiredPhaseChange", () => {
  it.each(["local", "remote"] as DbRunnerKind[])("refuses any change on a %s runner", (kind) => {
    for (const phase of phases) {
      const error = thrown(() => checkDesiredPhaseChange(kind, phase));
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toMatch(/^spec\.desired_phase: /);
    }
  });

  it.each(named(RunnerPhase, [RunnerPhase.ACTIVE, RunnerPhase.INACTIVE]))(
    "lets a LOCAL_CONFIGURATION runner switch to %s",
    (_name, phase) => {
      expect(() => checkDesiredPhaseChange("local_configuration", phase)).not.toThrow();
    },
  );

  it.each(
    named(
      RunnerPhase,
      phases.filter((p) => p !== RunnerPhase.ACTIVE && p !== RunnerPhase.INACTIVE),
    ),
  )("refuses to switch a LOCAL_CONFIGURATION runner to %s", (_name, phase) => {
    const error = thrown(() => checkDesiredPhaseChange("local_configuration", phase));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/^spec\.desired_phase: /);
  });
});
