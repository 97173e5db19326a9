import { describe, expect, it } from "vitest";
import { createConfigAnalyzer } from "../../config/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createConfigAnalyzer()];
const entry = {
  "src/index.ts": 'export { Room } from "./room.js";\nexport class Lobby {}\nexport default {};\n',
  "src/room.ts": "export class Room {}\n",
};

function toml(body: string): Record<string, string> {
  return {
    "wrangler.toml": `name = "chat"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-01"\n${body}`,
    ...entry,
  };
}

describe("do/deleted-classes", () => {
  it("flags each deleted class at its line, with the class name in the fix", async () => {
    const dir = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Room", "Old"]\n\n[[migrations]]\ntag = "v2"\ndeleted_classes = ["Old"]\n`,
      ),
    );
    const [f, ...rest] = await findingsOf(dir, analyzers, "do/deleted-classes");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "error", file: "wrangler.toml", line: 10 });
    expect(f?.message).toContain('migration "v2" deletes Durable Object class Old');
    expect(f?.fix).toContain("# blastwall-ignore do/deleted-classes:");
  });

  it("passes when suppressed with a reason, and reports a suppression without one", async () => {
    const ok = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Room", "Old"]\n[[migrations]]\ntag = "v2"\n# blastwall-ignore do/deleted-classes: Old held only caches, exported to R2 in #412\ndeleted_classes = ["Old"]\n`,
      ),
    );
    expect(await findingsOf(ok, analyzers, "do/deleted-classes")).toEqual([]);
    const bare = writeProject({
      "wrangler.jsonc": `{\n  "name": "chat",\n  "migrations": [\n    { "tag": "v1", "new_classes": ["Old"] },\n    // blastwall-ignore do/deleted-classes\n    { "tag": "v2", "deleted_classes": ["Old"] }\n  ]\n}\n`,
    });
    const all = await findingsOf(bare, analyzers);
    expect(all.map((f) => f.rule)).toContain("do/deleted-classes");
    expect(all.find((f) => f.rule === "suppression/missing-reason")).toMatchObject({ line: 5, severity: "error" });
  });

  it("does not flag migrations that only add or rename", async () => {
    const dir = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Lobby"]\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ from = "Lobby", to = "Room" }]\n`,
      ),
    );
    expect(await findingsOf(dir, analyzers, "do/deleted-classes")).toEqual([]);
  });
});

describe("do/exports-deleted", () => {
  it('flags a class in state "deleted" and not live ones', async () => {
    const dir = writeProject({
      "wrangler.jsonc": `{\n  "name": "chat",\n  "exports": {\n    "Room": { "type": "durable-object", "storage": "sqlite" },\n    "Old": { "type": "durable-object", "state": "deleted" }\n  }\n}\n`,
    });
    const found = await findingsOf(dir, analyzers, "do/exports-deleted");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 5, severity: "error" });
    expect(found[0]?.message).toContain("Old");
  });
});

describe("do/deleted-class-still-bound", () => {
  it("flags a binding to a deleted class in the same section and in an env that inherits the migrations", async () => {
    const dir = writeProject(
      toml(
        `[[durable_objects.bindings]]\nname = "OLD"\nclass_name = "Old"\n[[migrations]]\ntag = "v1"\nnew_classes = ["Old"]\n[[migrations]]\ntag = "v2"\n# blastwall-ignore do/deleted-classes: test\ndeleted_classes = ["Old"]\n[env.staging]\ndurable_objects.bindings = [{ name = "OLD", class_name = "Old" }]\n`,
      ),
    );
    const found = await findingsOf(dir, analyzers, "do/deleted-class-still-bound");
    expect(found.map((f) => f.line)).toEqual([6, 15]);
    expect(found[0]?.message).toContain("10061");
  });

  it("flags a binding in another Worker that names the deleted class through script_name", async () => {
    const dir = writeProject({
      ...toml(
        `[[migrations]]\ntag = "v1"\nnew_classes = ["Old"]\n[[migrations]]\ntag = "v2"\n# blastwall-ignore do/deleted-classes: test\ndeleted_classes = ["Old"]\n`,
      ),
      "web/wrangler.jsonc": `{ "name": "web", "durable_objects": { "bindings": [{ "name": "OLD", "class_name": "Old", "script_name": "chat" }] } }`,
    });
    const found = await findingsOf(dir, analyzers, "do/deleted-class-still-bound");
    expect(found.map((f) => f.file)).toEqual(["web/wrangler.jsonc"]);
  });

  it("does not flag a class deleted and later created again, or bindings to live classes", async () => {
    const dir = writeProject(
      toml(
        `[[durable_objects.bindings]]\nname = "ROOM"\nclass_name = "Room"\n[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\n# blastwall-ignore do/deleted-classes: test\ndeleted_classes = ["Room"]\n[[migrations]]\ntag = "v3"\nnew_sqlite_classes = ["Room"]\n`,
      ),
    );
    expect(await findingsOf(dir, analyzers, "do/deleted-class-still-bound")).toEqual([]);
  });
});

describe("do/class-not-created", () => {
  it("flags a bound class that no migration creates, and one renamed away", async () => {
    const dir = writeProject(
      toml(
        `durable_objects.bindings = [\n  { name = "ROOM", class_name = "Room" },\n  { name = "LOBBY", class_name = "Lobby" },\n  { name = "GONE", class_name = "Gone" },\n]\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Gone"]\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ from = "Gone", to = "Room" }]\n`,
      ),
    );
    const found = await findingsOf(dir, analyzers, "do/class-not-created");
    expect(found.map((f) => f.line)).toEqual([6, 7]);
    expect(found[0]?.message).toContain("Lobby");
    expect(found[0]?.fix).toContain('new_sqlite_classes = ["Lobby"]');
    expect(found[1]?.message).toContain("renamed it away");
  });

  it("accepts classes from the exports form and bindings to Workers outside the project", async () => {
    const dir = writeProject({
      "wrangler.jsonc": `{\n "name": "chat",\n "durable_objects": { "bindings": [{ "name": "ROOM", "class_name": "Room" }, { "name": "EXT", "class_name": "X", "script_name": "elsewhere" }] },\n "exports": { "Room": { "type": "durable-object", "storage": "sqlite" } }\n}\n`,
    });
    expect(await findingsOf(dir, analyzers, "do/class-not-created")).toEqual([]);
  });
});

describe("do/invalid-migration-tags", () => {
  it("flags duplicate and non-string tags", async () => {
    const dir = writeProject({
      "wrangler.json": `{\n"name": "chat",\n"migrations": [\n{ "tag": "v1", "new_classes": ["A"] },\n{ "tag": 2, "new_classes": ["B"] },\n{ "tag": "v1", "new_classes": ["C"] }\n]\n}\n`,
    });
    const found = await findingsOf(dir, analyzers, "do/invalid-migration-tags");
    expect(found.map((f) => f.line)).toEqual([5, 6]);
    expect(found[1]?.message).toContain('repeats tag "v1"');
  });

  it("does not flag unique string tags", async () => {
    const dir = writeProject(
      toml(`[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\nnew_classes = ["Lobby"]\n`),
    );
    expect(await findingsOf(dir, analyzers, "do/invalid-migration-tags")).toEqual([]);
  });
});

describe("do/rename-target-not-exported", () => {
  it("flags a rename whose target the entry module does not export", async () => {
    const dir = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Chat"]\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ from = "Chat", to = "ChatRoom" }]\n`,
      ),
    );
    const found = await findingsOf(dir, analyzers, "do/rename-target-not-exported");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain("does not export ChatRoom");
    expect(found[0]?.fix).toBe("define class ChatRoom (extending DurableObject) and export it from src/index.ts");
  });

  it("names the file that declares the unexported target", async () => {
    const dir = writeProject({
      ...toml(
        `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Chat"]\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ from = "Chat", to = "Hall" }]\n`,
      ),
      "src/rooms/hall.ts": "export class Hall {}\n",
    });
    const [f] = await findingsOf(dir, analyzers, "do/rename-target-not-exported");
    expect(f?.fix).toBe('add `export { Hall } from "./rooms/hall.js";` to src/index.ts');
  });

  it("follows re-exports, and skips targets later renamed again", async () => {
    const dir = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Chat"]\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ from = "Chat", to = "Tmp" }]\n[[migrations]]\ntag = "v3"\nrenamed_classes = [{ from = "Tmp", to = "Room" }]\n`,
      ),
    );
    expect(await findingsOf(dir, analyzers, "do/rename-target-not-exported")).toEqual([]);
  });
});

describe("do/new-classes-to-sqlite", () => {
  it("flags a KV class later listed in new_sqlite_classes", async () => {
    const dir = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["Room"]\n`,
      ),
    );
    const found = await findingsOf(dir, analyzers, "do/new-classes-to-sqlite");
    expect(found).toHaveLength(1);
    expect(found[0]?.line).toBe(9);
    expect(found[0]?.fix).toContain("RoomV2");
  });

  it("does not flag distinct classes", async () => {
    const dir = writeProject(
      toml(
        `[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["Lobby"]\n`,
      ),
    );
    expect(await findingsOf(dir, analyzers, "do/new-classes-to-sqlite")).toEqual([]);
  });
});

describe("do/migrations-and-exports", () => {
  it("flags both forms in one Worker, not either alone", async () => {
    const both = writeProject({
      "wrangler.jsonc": `{ "name": "a", "migrations": [{ "tag": "v1", "new_classes": ["A"] }], "exports": { "A": { "type": "durable-object" } } }`,
    });
    expect(await findingsOf(both, analyzers, "do/migrations-and-exports")).toHaveLength(1);
    const one = writeProject({ "wrangler.jsonc": `{ "name": "a", "exports": { "A": { "type": "durable-object" } } }` });
    expect(await findingsOf(one, analyzers, "do/migrations-and-exports")).toEqual([]);
  });
});
