import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalPlatform, type LocalPlatform } from "../../src/platform/local/client.js";
import { isWorkerd } from "../../src/platform/local/daemon.js";
import { cli, cliJson, killTree, REPO, readEdgeInfo } from "./helpers.js";

const OBJECTS = Array.from({ length: 100 }, (_, i) => `k-${i}`);

/** A SIGKILLed edge in the middle of a split: on restart each object resumes on its version, no write lost. */
describe("local edge: SIGKILL during a Durable Object split", () => {
  const dir = join(REPO, ".blastwall", `e2e-edge-kill-${process.pid}`);
  let platform: LocalPlatform;
  const counts = new Map<string, number>();

  const sweep = async () => {
    const out = new Map<string, string>();
    for (const name of OBJECTS) {
      const res = await fetch(`${platform.routerUrl()}/obj/${name}`);
      const body = (await res.json()) as { version: string; n: number };
      expect(body.n, name).toBe((counts.get(name) ?? 0) + 1);
      counts.set(name, body.n);
      out.set(name, body.version);
    }
    return out;
  };

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(join(import.meta.dirname, "fixtures-edge", "probe"), dir, { recursive: true });
    const up = await cli(dir, ["local", "up", "--port", "0"]);
    if (up.code !== 0) throw new Error(`local up failed:\n${up.stderr}`);
    platform = createLocalPlatform({ projectDir: dir });
  });

  afterAll(async () => {
    const info = readEdgeInfo(dir);
    await cli(dir, ["local", "down"]);
    if (info) killTree(info.pid);
    for (const pid of info?.runtimePids ?? []) if (isWorkerd(pid)) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it("resumes each object on the version its deployment assigns, with every acknowledged write", async () => {
    const upload = (v: string) =>
      cliJson<{ id: string }>(dir, ["versions", "upload", "--worker", "probe", "--tag", v, "--var", `VERSION=${v}`]);
    const v1 = await upload("v1");
    await cliJson(dir, ["versions", "deploy", `${v1.id}@100`, "--worker", "probe"]);
    await sweep();
    const v2 = await upload("v2");
    await cliJson(dir, ["versions", "deploy", `${v2.id}@50`, `${v1.id}@50`, "--worker", "probe"]);
    const before = await sweep();
    expect(new Set(before.values())).toEqual(new Set(["v1", "v2"]));
    const info = readEdgeInfo(dir);
    if (!info) throw new Error("no edge.json");
    // The edge process only: its workerd lives on as an orphan, which the next `local up` ends.
    process.kill(info.pid, "SIGKILL");
    const up = await cli(dir, ["local", "up", "--port", "0"]);
    expect(up.code, up.stderr).toBe(0);
    const after = await sweep();
    for (const name of OBJECTS) expect(after.get(name), name).toBe(before.get(name));
  });
});
