import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkNode } from "../../bin/node-check.js";

const { engines } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  engines: { node: string };
};
const RANGE = "^20.19.0 || ^22.12.0 || ^24.0.0";

describe("checkNode (bin/blastwall.js, before anything native loads)", () => {
  it("is the range package.json declares", () => {
    expect(engines.node).toBe(RANGE);
  });

  it("accepts the tested majors from their lowest minor on", () => {
    for (const v of ["20.19.0", "20.20.2", "22.12.0", "22.23.5", "24.0.0", "24.22.3"]) {
      expect(checkNode(v, RANGE)).toEqual({ level: "ok" });
    }
  });

  it("refuses older and in-between versions with one line that names the fix", () => {
    for (const v of ["18.20.4", "20.18.3", "21.7.3", "22.11.0", "23.11.1"]) {
      const r = checkNode(v, RANGE);
      expect(r.level).toBe("error");
      expect(r.line).toBe(
        `error: blastwall needs Node.js 20.19+, 22.12+, 24 (this is v${v}); fix: install Node.js 24 LTS and reinstall`,
      );
    }
  });

  it("warns on a newer, untested major but lets it run", () => {
    expect(checkNode("26.12.1", RANGE)).toEqual({
      level: "warn",
      line: "warning: blastwall is tested on Node.js 20.19+, 22.12+, 24; this is v26.12.1",
    });
  });

  it("prints the line and exits 2 before the CLI loads, on the real bin", () => {
    const bin = new URL("../../bin/blastwall.js", import.meta.url).pathname;
    // A preload that pretends to be an old Node: the bin must stop at its first check.
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'18.20.4'})",
        bin,
        "--help",
      ],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      "error: blastwall needs Node.js 20.19+, 22.12+, 24 (this is v18.20.4); fix: install Node.js 24 LTS and reinstall",
    ]);
  });
});
