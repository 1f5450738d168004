/**
 * The order of a bench run's scenario runs. Each round runs the whole selection, so that
 * every scenario samples the machine's speed at several moments as its baselines do (the
 * table shows each one's median). The connected fleet's rounds come after every other
 * scenario's: its thousands of streams leave memory behind — V8's committed heap, buffers
 * freed but not yet returned — that the next scenarios' windows would otherwise be charged
 * with (docs/performance.md, "Where the peak RSS comes from").
 */
export function runSchedule(
  selected: readonly { target: string }[],
  rounds: number,
): { index: number; round: number }[] {
  const indexes = selected.map((_, index) => index);
  const fleetLast = [
    indexes.filter((i) => selected[i]?.target !== "connectedFleet"),
    indexes.filter((i) => selected[i]?.target === "connectedFleet"),
  ];
  const runs: { index: number; round: number }[] = [];
  for (const group of fleetLast) {
    for (let round = 0; round < rounds; round++) for (const index of group) runs.push({ index, round });
  }
  return runs;
}
