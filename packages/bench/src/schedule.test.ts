import { describe, expect, test } from "vitest";
import { runSchedule } from "./schedule.js";

const names = (selected: { name: string; target: string }[], rounds: number) =>
  runSchedule(selected, rounds).map(({ index, round }) => `${selected[index]?.name}#${round + 1}`);

describe("runSchedule", () => {
  test("interleaves the rounds: every scenario once, then every scenario again", () => {
    const selected = [
      { name: "noop", target: "noop" },
      { name: "get", target: "getRunner" },
    ];
    expect(names(selected, 2)).toEqual(["noop#1", "get#1", "noop#2", "get#2"]);
  });

  test("runs the connected fleet's rounds after every other scenario's, wherever it was selected", () => {
    const selected = [
      { name: "fleet", target: "connectedFleet" },
      { name: "noop", target: "noop" },
      { name: "get", target: "getRunner" },
    ];
    expect(names(selected, 3)).toEqual([
      "noop#1",
      "get#1",
      "noop#2",
      "get#2",
      "noop#3",
      "get#3",
      "fleet#1",
      "fleet#2",
      "fleet#3",
    ]);
  });
});
