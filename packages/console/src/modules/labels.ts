/** Enum values as people read them, from the generated enums' own names: RUNNER_PHASE_ACTIVE → "Active". */
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerPhase } from "@runnerplane/api/gitpod/v1/runner_pb";

export function enumLabel(e: Record<number, string>, value: number): string {
  const full = e[value];
  if (full === undefined) return `Unknown (${value})`;
  // Where protobuf-es kept the proto prefix (SSO_CONFIGURATION_STATE_ACTIVE), drop it.
  const name = full.slice(commonPrefix(e).length);
  if (name === "UNSPECIFIED") return "—";
  return name
    .toLowerCase()
    .split("_")
    .map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(" ")
    .replace(/\baws ec2\b/i, "AWS EC2")
    .replace(/\bgcp\b/i, "GCP")
    .replace(/\bmac\b/i, "Mac");
}

export const kindLabel = (k: RunnerKind) => enumLabel(RunnerKind, k);
export const providerLabel = (p: RunnerProvider) => enumLabel(RunnerProvider, p);
export const phaseLabel = (p: RunnerPhase) => enumLabel(RunnerPhase, p);

/** Providers by the kind of runner they make (behaviour.md §2, "Runner scope"). */
export const providersByKind: { kind: RunnerKind; providers: RunnerProvider[]; who: string }[] = [
  {
    kind: RunnerKind.REMOTE,
    providers: [RunnerProvider.AWS_EC2, RunnerProvider.GCP, RunnerProvider.MANAGED],
    who: "Organization runner (admins only)",
  },
  { kind: RunnerKind.LOCAL_CONFIGURATION, providers: [], who: "Organization runner (admins only)" },
  {
    kind: RunnerKind.LOCAL,
    providers: [RunnerProvider.LINUX_HOST, RunnerProvider.DESKTOP_MAC, RunnerProvider.DEV_AGENT],
    who: "Personal runner (yours)",
  },
];

function commonPrefix(e: Record<number, string>): string {
  const names = Object.values(e).filter((v): v is string => typeof v === "string");
  if (names.length < 2) return "";
  let prefix = names[0] ?? "";
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf("_") + 1);
}
