import type { Command } from "./command.js";
import check from "./commands/check.js";
import migrationsLock from "./commands/migrations/lock.js";
import workersList from "./commands/workers/list.js";

/**
 * Every CLI command, one per file under commands/<noun>/<verb>.ts. Help groups them by `group`;
 * dispatch matches the longest name, so "queues dlq replay" and "queues pause" coexist.
 */
export const commands: readonly Command[] = [workersList, check, migrationsLock];
