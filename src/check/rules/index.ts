// Generated from the rule files under src/check/rules/<area>/ by src/check/rules/registry.test.ts; do not edit.
// Regenerate with BLASTWALL_WRITE_RULE_REGISTRY=1 npx vitest run src/check/rules/registry.test.ts
import type { RuleMeta } from "../findings.js";
import codeHttpAndQueueInOneWorker from "./code/http-and-queue-in-one-worker.js";
import codeKvReadAfterWrite from "./code/kv-read-after-write.js";
import codeQueueWithoutIdempotency from "./code/queue-without-idempotency.js";
import codeR2UnquotedEtag from "./code/r2-unquoted-etag.js";
import codeSingletonDurableObject from "./code/singleton-durable-object.js";
import codeSkippedFile from "./code/skipped-file.js";
import codeSqlInterpolation from "./code/sql-interpolation.js";
import codeUnvalidatedR2Key from "./code/unvalidated-r2-key.js";
import configShadowedConfig from "./config/shadowed-config.js";
import configUnreadTemplate from "./config/unread-template.js";
import configUnreadableConfig from "./config/unreadable-config.js";
import d1AddColumnNonConstantDefault from "./d1/add-column-non-constant-default.js";
import d1AddNotNullColumn from "./d1/add-not-null-column.js";
import d1AddUnique from "./d1/add-unique.js";
import d1AppliedByExecute from "./d1/applied-by-execute.js";
import d1ApplyNotRemote from "./d1/apply-not-remote.js";
import d1BlockingTrigger from "./d1/blocking-trigger.js";
import d1CascadeBeforeUpdate from "./d1/cascade-before-update.js";
import d1ChangeColumnType from "./d1/change-column-type.js";
import d1CheckRejectsCodeValue from "./d1/check-rejects-code-value.js";
import d1CommentedOutMigration from "./d1/commented-out-migration.js";
import d1CopyColumnOrder from "./d1/copy-column-order.js";
import d1DanglingReference from "./d1/dangling-reference.js";
import d1DataConstraint from "./d1/data-constraint.js";
import d1DeleteRows from "./d1/delete-rows.js";
import d1DeletedMigration from "./d1/deleted-migration.js";
import d1DeployWithoutMigrate from "./d1/deploy-without-migrate.js";
import d1DestructiveSetupFile from "./d1/destructive-setup-file.js";
import d1DropBootstrappedTable from "./d1/drop-bootstrapped-table.js";
import d1DropColumn from "./d1/drop-column.js";
import d1DropTable from "./d1/drop-table.js";
import d1DuplicateColumn from "./d1/duplicate-column.js";
import d1DuplicateMigrationNumber from "./d1/duplicate-migration-number.js";
import d1EditedMigration from "./d1/edited-migration.js";
import d1EmptyMigration from "./d1/empty-migration.js";
import d1FkBlocksDelete from "./d1/fk-blocks-delete.js";
import d1JournalOrder from "./d1/journal-order.js";
import d1LargeDataChange from "./d1/large-data-change.js";
import d1LateMigration from "./d1/late-migration.js";
import d1LockMismatch from "./d1/lock-mismatch.js";
import d1MissingBaseSchema from "./d1/missing-base-schema.js";
import d1MissingMigrationsDir from "./d1/missing-migrations-dir.js";
import d1MixedExpandContract from "./d1/mixed-expand-contract.js";
import d1NarrowCheck from "./d1/narrow-check.js";
import d1NestedMigration from "./d1/nested-migration.js";
import d1NonMigrationFile from "./d1/non-migration-file.js";
import d1OrderDependsOnWrangler from "./d1/order-depends-on-wrangler.js";
import d1OutOfOrderMigration from "./d1/out-of-order-migration.js";
import d1QueryUnknownColumn from "./d1/query-unknown-column.js";
import d1RebuildCascade from "./d1/rebuild-cascade.js";
import d1RebuildFkRestrict from "./d1/rebuild-fk-restrict.js";
import d1RebuildLosesIndex from "./d1/rebuild-loses-index.js";
import d1RenameColumn from "./d1/rename-column.js";
import d1RenameTable from "./d1/rename-table.js";
import d1RepeatedInsert from "./d1/repeated-insert.js";
import d1ReplaceReusesKey from "./d1/replace-reuses-key.js";
import d1ReservedTable from "./d1/reserved-table.js";
import d1RewriteInPlace from "./d1/rewrite-in-place.js";
import d1RowsLost from "./d1/rows-lost.js";
import d1SetAsideMigration from "./d1/set-aside-migration.js";
import d1SetNotNull from "./d1/set-not-null.js";
import d1SetReadsAssigned from "./d1/set-reads-assigned.js";
import d1ShadowedCreateIndex from "./d1/shadowed-create-index.js";
import d1ShadowedCreateTable from "./d1/shadowed-create-table.js";
import d1ShellSubstitution from "./d1/shell-substitution.js";
import d1SqlError from "./d1/sql-error.js";
import d1SquashReapplied from "./d1/squash-reapplied.js";
import d1Transaction from "./d1/transaction.js";
import d1UnboundedWrite from "./d1/unbounded-write.js";
import d1UnknownDatabase from "./d1/unknown-database.js";
import d1UnreadableMigration from "./d1/unreadable-migration.js";
import d1UnusedIgnore from "./d1/unused-ignore.js";
import doClassNotCreated from "./do/class-not-created.js";
import doDeletedClassStillBound from "./do/deleted-class-still-bound.js";
import doDeletedClasses from "./do/deleted-classes.js";
import doExportsDeleted from "./do/exports-deleted.js";
import doInvalidMigrationTags from "./do/invalid-migration-tags.js";
import doMigrationsAndExports from "./do/migrations-and-exports.js";
import doMigrationsNotAppendOnly from "./do/migrations-not-append-only.js";
import doNewClassesToSqlite from "./do/new-classes-to-sqlite.js";
import doRenameTargetNotExported from "./do/rename-target-not-exported.js";
import queuesDeadLetterQueueIsSelf from "./queues/dead-letter-queue-is-self.js";
import queuesMaxAttempts from "./queues/max-attempts.js";
import queuesNoDeadLetterQueue from "./queues/no-dead-letter-queue.js";
import queuesNoRetryDelay from "./queues/no-retry-delay.js";
import queuesV8ContentTypeWithPullConsumer from "./queues/v8-content-type-with-pull-consumer.js";
import rpcCompatibilityDate from "./rpc/compatibility-date.js";
import type { Rule } from "./rule.js";
import suppressionMissingReason from "./suppression/missing-reason.js";

/** Every rule, in file order: the analyzers run them, and SARIF, the docs test and rule lists read them. */
export const rules: readonly Rule[] = [
  codeHttpAndQueueInOneWorker,
  codeKvReadAfterWrite,
  codeQueueWithoutIdempotency,
  codeR2UnquotedEtag,
  codeSingletonDurableObject,
  codeSkippedFile,
  codeSqlInterpolation,
  codeUnvalidatedR2Key,
  configShadowedConfig,
  configUnreadTemplate,
  configUnreadableConfig,
  d1AddColumnNonConstantDefault,
  d1AddNotNullColumn,
  d1AddUnique,
  d1AppliedByExecute,
  d1ApplyNotRemote,
  d1BlockingTrigger,
  d1CascadeBeforeUpdate,
  d1ChangeColumnType,
  d1CheckRejectsCodeValue,
  d1CommentedOutMigration,
  d1CopyColumnOrder,
  d1DanglingReference,
  d1DataConstraint,
  d1DeleteRows,
  d1DeletedMigration,
  d1DeployWithoutMigrate,
  d1DestructiveSetupFile,
  d1DropBootstrappedTable,
  d1DropColumn,
  d1DropTable,
  d1DuplicateColumn,
  d1DuplicateMigrationNumber,
  d1EditedMigration,
  d1EmptyMigration,
  d1FkBlocksDelete,
  d1JournalOrder,
  d1LargeDataChange,
  d1LateMigration,
  d1LockMismatch,
  d1MissingBaseSchema,
  d1MissingMigrationsDir,
  d1MixedExpandContract,
  d1NarrowCheck,
  d1NestedMigration,
  d1NonMigrationFile,
  d1OrderDependsOnWrangler,
  d1OutOfOrderMigration,
  d1QueryUnknownColumn,
  d1RebuildCascade,
  d1RebuildFkRestrict,
  d1RebuildLosesIndex,
  d1RenameColumn,
  d1RenameTable,
  d1RepeatedInsert,
  d1ReplaceReusesKey,
  d1ReservedTable,
  d1RewriteInPlace,
  d1RowsLost,
  d1SetAsideMigration,
  d1SetNotNull,
  d1SetReadsAssigned,
  d1ShadowedCreateIndex,
  d1ShadowedCreateTable,
  d1ShellSubstitution,
  d1SqlError,
  d1SquashReapplied,
  d1Transaction,
  d1UnboundedWrite,
  d1UnknownDatabase,
  d1UnreadableMigration,
  d1UnusedIgnore,
  doClassNotCreated,
  doDeletedClassStillBound,
  doDeletedClasses,
  doExportsDeleted,
  doInvalidMigrationTags,
  doMigrationsAndExports,
  doMigrationsNotAppendOnly,
  doNewClassesToSqlite,
  doRenameTargetNotExported,
  queuesDeadLetterQueueIsSelf,
  queuesMaxAttempts,
  queuesNoDeadLetterQueue,
  queuesNoRetryDelay,
  queuesV8ContentTypeWithPullConsumer,
  rpcCompatibilityDate,
  suppressionMissingReason,
];

/** Every rule's metadata, in the same order. */
export const ruleMetas: readonly RuleMeta[] = rules.map((r) => r.meta);
