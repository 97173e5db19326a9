import { describe, expect, it } from "vitest";
import { setAssignments, tokenize, updatedColumns } from "./tokens.js";

const columns = (sql: string) => {
  const set = updatedColumns(tokenize(sql));
  return set ? [...set] : undefined;
};

describe("updatedColumns", () => {
  it("lists the columns a plain UPDATE assigns, lower-cased, row values included", () => {
    expect(columns("UPDATE t SET status = 'x', n = (SELECT max(n) FROM u WHERE u.id = t.id) WHERE id = 1")).toEqual([
      "status",
      "n",
    ]);
    expect(columns('UPDATE "Orders" SET ("A", b) = (1, 2) RETURNING *')).toEqual(["a", "b"]);
    expect(columns("UPDATE t SET a = CASE WHEN b > 0 THEN 1 ELSE 2 END FROM u")).toEqual(["a"]);
  });

  it("is undefined when it cannot be sure", () => {
    expect(columns("UPDATE OR REPLACE t SET a = 1")).toBeUndefined();
    expect(columns("WITH x AS (SELECT 1) UPDATE t SET a = 1")).toBeUndefined();
    expect(columns("UPDATE t SET a.b = 1")).toBeUndefined();
    expect(columns("UPDATE t SET")).toBeUndefined();
    expect(columns("DELETE FROM t")).toBeUndefined();
  });
});

describe("setAssignments", () => {
  it("gives each assignment's columns and value tokens, up to the clause after SET", () => {
    const a = setAssignments(tokenize("UPDATE t SET a = f(a, 1), (b, c) = (1, 2) WHERE id = 3"));
    expect(a?.map((x) => [x.columns, x.value.map((t) => t.text).join(" ")])).toEqual([
      [["a"], "f ( a , 1 )"],
      [["b", "c"], "( 1 , 2 )"],
    ]);
    expect(setAssignments(tokenize("UPDATE OR REPLACE t SET a = 1"))).toBeUndefined();
  });
});
