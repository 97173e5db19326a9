import type { D1FolderRule, D1Rule } from "../../d1/rule.js";
import type { RuleMeta } from "../../findings.js";
import addNotNullColumn from "./add-not-null-column.js";
import addUnique from "./add-unique.js";
import changeColumnType from "./change-column-type.js";
import dataConstraint from "./data-constraint.js";
import dropColumn from "./drop-column.js";
import dropTable from "./drop-table.js";
import { rule as duplicateNumber } from "./duplicate-migration-number.js";
import emptyMigration from "./empty-migration.js";
import { rule as journalOrder } from "./journal-order.js";
import largeDataChange from "./large-data-change.js";
import { meta as lockMismatch } from "./lock-mismatch.js";
import { meta as missingDir } from "./missing-migrations-dir.js";
import mixedExpandContract from "./mixed-expand-contract.js";
import { rule as nonMigrationFile } from "./non-migration-file.js";
import { rule as orderDependsOnWrangler } from "./order-depends-on-wrangler.js";
import { meta as outOfOrder } from "./out-of-order-migration.js";
import rebuildCascade from "./rebuild-cascade.js";
import renameColumn from "./rename-column.js";
import renameTable from "./rename-table.js";
import reservedTable from "./reserved-table.js";
import rowsLost from "./rows-lost.js";
import setNotNull from "./set-not-null.js";
import sqlError from "./sql-error.js";
import transaction from "./transaction.js";
import unboundedWrite from "./unbounded-write.js";
import unreadableMigration from "./unreadable-migration.js";
import { meta as unusedIgnore } from "./unused-ignore.js";

/** Rules that read one replayed migration file. */
export const fileRules: readonly D1Rule[] = [
  sqlError,
  unreadableMigration,
  emptyMigration,
  transaction,
  reservedTable,
  dropTable,
  dropColumn,
  renameTable,
  renameColumn,
  addNotNullColumn,
  setNotNull,
  addUnique,
  changeColumnType,
  rebuildCascade,
  unboundedWrite,
  largeDataChange,
  mixedExpandContract,
  dataConstraint,
  rowsLost,
];

/** Rules that read a whole migrations folder: ordering and stray files. */
export const folderRules: readonly D1FolderRule[] = [
  duplicateNumber,
  journalOrder,
  orderDependsOnWrangler,
  nonMigrationFile,
];

/** Every D1 rule's metadata (for SARIF rule lists and docs checks). */
export const d1RuleMetas: readonly RuleMeta[] = [
  ...fileRules.map((r) => r.meta),
  ...folderRules.map((r) => r.meta),
  missingDir,
  lockMismatch,
  outOfOrder,
  unusedIgnore,
];
