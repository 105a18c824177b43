// GPT-NeoX hostfiles and DeepSpeed's include/exclude filter: what is kept, and errors that name the
// file and line (or key) and what was expected.
import { describe, expect, it } from "vitest";
import { LaunchError, parseHostfile, selectResources } from "../src/index";

const HOSTS = "# cluster\nworker-0 slots=4\n\nworker-1 slots=4   # second rack\nworker-2 slots=2\n";
const pool = parseHostfile(HOSTS, "hosts.txt");
const slots = (r: ReturnType<typeof selectResources>) => r.map((h) => `${h.host}:${h.slots.join(",")}`);

describe("parseHostfile", () => {
  it("reads host slots=N lines in order, skipping comments and blank lines", () => {
    expect(pool).toEqual([
      { host: "worker-0", slots: 4 },
      { host: "worker-1", slots: 4 },
      { host: "worker-2", slots: 2 },
    ]);
  });

  it("names the file and line of a line it cannot read", () => {
    expect(() => parseHostfile("a slots=1\nb slots=two\n", "hf")).toThrow(
      /^hf:2: expected "<host> slots=<n>", got "b slots=two"/,
    );
    expect(() => parseHostfile("a\n", "hf")).toThrow("hf:1:");
    expect(() => parseHostfile("a slots=0\n", "hf")).toThrow("hf:1: slots must be a whole number ≥ 1, got 0");
    expect(() => parseHostfile("a slots=1\na slots=2\n", "hf")).toThrow(
      "hf:2: host a is already listed on line 1",
    );
    expect(() => parseHostfile("# only a comment\n", "hf")).toThrow(LaunchError);
  });
});

describe("selectResources", () => {
  it("keeps every slot of every host without filters", () => {
    expect(slots(selectResources(pool, {}, "hosts.txt"))).toEqual([
      "worker-0:0,1,2,3",
      "worker-1:0,1,2,3",
      "worker-2:0,1",
    ]);
  });

  it("include keeps only the named hosts and slots, in hostfile order", () => {
    const r = selectResources(pool, { include: "worker-2@worker-0:1,3" }, "hosts.txt");
    expect(slots(r)).toEqual(["worker-0:1,3", "worker-2:0,1"]);
  });

  it("exclude drops named slots, and whole hosts named without slots", () => {
    const r = selectResources(pool, { exclude: "worker-1@worker-0:0" }, "hosts.txt");
    expect(slots(r)).toEqual(["worker-0:1,2,3", "worker-2:0,1"]);
  });

  it("num_nodes keeps the first hosts after filtering; num_gpus sets slots per host", () => {
    expect(slots(selectResources(pool, { num_nodes: 2 }, "h"))).toEqual([
      "worker-0:0,1,2,3",
      "worker-1:0,1,2,3",
    ]);
    expect(slots(selectResources(pool, { exclude: "worker-0", num_nodes: 1 }, "h"))).toEqual([
      "worker-1:0,1,2,3",
    ]);
    expect(slots(selectResources(pool, { num_gpus: 1, num_nodes: -1 }, "h"))).toEqual([
      "worker-0:0",
      "worker-1:0",
      "worker-2:0",
    ]);
  });

  it("drops num_gpus when include or exclude is given (GPT-NeoX's deepy)", () => {
    expect(slots(selectResources(pool, { include: "worker-1:2", num_gpus: 4 }, "h"))).toEqual(["worker-1:2"]);
  });

  it("refuses unknown hosts, out-of-range slots, both filters and too many nodes", () => {
    expect(() => selectResources(pool, { include: "worker-9" }, "hosts.txt")).toThrow(
      'include: host "worker-9" is not in the hostfile hosts.txt (hosts: worker-0, worker-1, worker-2)',
    );
    expect(() => selectResources(pool, { exclude: "worker-2:2" }, "hosts.txt")).toThrow(
      'exclude: slot "2" of host worker-2 is out of range (hosts.txt gives it slots 0..1)',
    );
    expect(() => selectResources(pool, { include: "worker-0:x" }, "h")).toThrow('slot "x"');
    expect(() => selectResources(pool, { include: "worker-0", exclude: "worker-1" }, "h")).toThrow(
      "mutually exclusive",
    );
    expect(() => selectResources(pool, { num_nodes: 4 }, "h")).toThrow(
      "num_nodes: 4 asks for more hosts than h offers",
    );
    expect(() => selectResources(pool, { exclude: "worker-0@worker-1@worker-2" }, "h")).toThrow(
      "leave no slots",
    );
  });
});
