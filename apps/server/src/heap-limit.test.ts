import { describe, expect, it } from "vitest";
import { heapFlags } from "./heap-limit";

describe("heap limit from the container's memory limit", () => {
  it("gives the old space 40% of a limit, at least 64 MB", () => {
    expect(heapFlags(256 * 1_048_576)).toEqual(["--max-old-space-size=102"]);
    expect(heapFlags(1_024 * 1_048_576)).toEqual(["--max-old-space-size=409"]);
    expect(heapFlags(100 * 1_048_576)).toEqual(["--max-old-space-size=64"]);
  });

  it("sets nothing without a limit", () => {
    expect(heapFlags(undefined)).toEqual([]);
    expect(heapFlags(0)).toEqual([]);
    expect(heapFlags(2 ** 63)).toEqual([]);
  });
});
