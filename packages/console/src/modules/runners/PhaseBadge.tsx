import { RunnerPhase } from "@runnerplane/api/gitpod/v1/runner_pb";
import { phaseLabel } from "../labels";

const tone: Partial<Record<RunnerPhase, string>> = {
  [RunnerPhase.ACTIVE]: "ok",
  [RunnerPhase.DEGRADED]: "warn",
  [RunnerPhase.INACTIVE]: "off",
  [RunnerPhase.CREATED]: "off",
  [RunnerPhase.DELETING]: "warn",
  [RunnerPhase.DELETED]: "off",
};

/** A runner's phase in words and colour (the words carry the meaning; colour only helps). */
export function PhaseBadge({ phase }: { phase: RunnerPhase | undefined }) {
  const p = phase ?? RunnerPhase.UNSPECIFIED;
  return (
    <span className={`badge badge-${tone[p] ?? "off"}`}>
      {p === RunnerPhase.UNSPECIFIED ? "Unknown" : phaseLabel(p)}
    </span>
  );
}
