import { describe, expect, it } from "vitest";
import { chooseVersion, keyPoint, orderSplit, parseOverride, pickByPoint } from "./split.js";

const split = orderSplit({
  entries: [
    { versionId: "old", percentage: 90, createdAt: "2026-01-01T00:00:00Z" },
    { versionId: "new", percentage: 10, createdAt: "2026-01-02T00:00:00Z" },
  ],
});

describe("split routing", () => {
  it("puts the newest version at the low end of [0, 100)", () => {
    expect(split.map((e) => e.versionId)).toEqual(["new", "old"]);
    expect(pickByPoint(split, 0)).toBe("new");
    expect(pickByPoint(split, 9.99)).toBe("new");
    expect(pickByPoint(split, 10)).toBe("old");
    expect(pickByPoint(split, 99.99)).toBe("old");
  });

  it("maps keys to stable points spread over [0, 100)", () => {
    expect(keyPoint("user-1")).toBe(keyPoint("user-1"));
    const points = Array.from({ length: 5000 }, (_, i) => keyPoint(`user-${i}`));
    const low = points.filter((p) => p < 10).length / points.length;
    expect(low).toBeGreaterThan(0.08);
    expect(low).toBeLessThan(0.12);
    expect(points.every((p) => p >= 0 && p < 100)).toBe(true);
  });

  it("only moves a key forward as the canary grows", () => {
    const at = (pct: number) =>
      orderSplit({
        entries: [
          { versionId: "old", percentage: 100 - pct, createdAt: "2026-01-01T00:00:00Z" },
          { versionId: "new", percentage: pct, createdAt: "2026-01-02T00:00:00Z" },
        ],
      });
    for (let i = 0; i < 500; i++) {
      const key = `k${i}`;
      let onNew = false;
      for (const pct of [1, 5, 10, 25, 50, 75, 100]) {
        const v = chooseVersion({ worker: "w", ordered: at(pct), keyHeader: key })?.versionId;
        if (onNew) expect(v).toBe("new");
        onNew = v === "new";
      }
      expect(onNew).toBe(true);
    }
  });

  it("parses the overrides dictionary and honours it only for versions of the deployment", () => {
    expect(parseOverride('shop-api="abc", other="def"', "other")).toBe("def");
    expect(parseOverride('shop-api="abc"', "other")).toBeUndefined();
    expect(parseOverride(undefined, "w")).toBeUndefined();
    expect(chooseVersion({ worker: "w", ordered: split, overrideHeader: 'w="old"', random: () => 0 })).toEqual({
      versionId: "old",
      reason: "override",
    });
    expect(chooseVersion({ worker: "w", ordered: split, overrideHeader: 'w="gone"', random: () => 0 })).toEqual({
      versionId: "new",
      reason: "random",
    });
  });

  it("draws at random by share without a key", () => {
    expect(chooseVersion({ worker: "w", ordered: split, random: () => 0.05 })?.versionId).toBe("new");
    expect(chooseVersion({ worker: "w", ordered: split, random: () => 0.5 })?.versionId).toBe("old");
    const zero = orderSplit({
      entries: [
        { versionId: "only", percentage: 100, createdAt: "" },
        { versionId: "idle", percentage: 0, createdAt: "z" },
      ],
    });
    for (const r of [0, 0.5, 0.999999])
      expect(chooseVersion({ worker: "w", ordered: zero, random: () => r })?.versionId).toBe("only");
  });
});
