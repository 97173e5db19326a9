import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/non-migration-file",
  severity: "error",
  summary: "A seed or test-data file sits in the migrations folder, where wrangler applies it to production",
};

/** Data for tests or demos: never wanted in production, numbered or not. */
const TEST_DATA = /(^|[_\-.\d])(test[_-]?data|dummy|fake|mock|mocks|sample[_-]?data|fixtures?)([_\-.]|$)/i;
/** Seed files: a numbered `0004_seed_roles.sql` is usually reference data on purpose, an unnumbered `seed.sql` not. */
const SEED = /(^|[_\-.\d])(seeds?|seeding|seed[_-]?data)([_\-.]|$)/i;

function strayData(name: string): boolean {
  const stem = name.replace(/\.sql$/, ".");
  return TEST_DATA.test(stem) || (SEED.test(stem) && !/^\d/.test(name));
}

/** A `.sql` file named like seed or test data: wrangler applies every `.sql` in the folder, to every database. */
export default defineRule({
  meta,
  checkFolder({ dir, names }) {
    return names.filter(strayData).map((name) => ({
      name,
      line: 1,
      message: `${name} looks like seed or test data, and \`wrangler d1 migrations apply --remote\` applies every .sql in ${dir.rel}/ to production`,
      fix: `move it out of ${dir.rel}/ (e.g. to seeds/${name}) and load it with \`wrangler d1 execute <db> --local --file seeds/${name}\`; if it is a real migration, rename it to say what it changes`,
    }));
  },
});
