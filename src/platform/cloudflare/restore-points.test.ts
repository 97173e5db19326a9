import { describe, expect, it } from "vitest";
import { formatRestorePoint, MAX_MESSAGE_LENGTH, parseRestorePoint, sameMigration } from "./restore-points.js";

const bookmark = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";

describe("restore points in deployment messages", () => {
  it("round-trips database, bookmark and migration", () => {
    const msg = formatRestorePoint({ database: "shop", bookmark, beforeMigration: "0004_add_sku.sql" });
    expect(msg).toBe(`bw:rp shop ${bookmark} 0004_add_sku.sql`);
    expect(parseRestorePoint(msg)).toEqual({ database: "shop", bookmark, beforeMigration: "0004_add_sku.sql" });
  });

  it("keeps within the message limit by shortening the migration to its number", () => {
    const long = `0007_${"x".repeat(80)}.sql`;
    const msg = formatRestorePoint({ database: "shop", bookmark, beforeMigration: long });
    expect(msg.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(parseRestorePoint(msg)?.beforeMigration).toBe("0007");
    expect(sameMigration("0007", long)).toBe(true);
    expect(sameMigration("0007", "0008_y.sql")).toBe(false);
  });

  it("ignores ordinary deployment messages", () => {
    for (const m of [undefined, "canary 10%", "bw:rp shop not-a-bookmark", "rollback: bw:rp x"]) {
      expect(parseRestorePoint(m)).toBeUndefined();
    }
  });
});
