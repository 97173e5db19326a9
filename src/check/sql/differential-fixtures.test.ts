/// <reference types="vite/client" />
/**
 * Every D1 test fixture, replayed again with BLASTWALL_REPLAY=verify: each replay runs on the subset engine and on
 * one whole database side by side and throws on the first file whose outcome or schema model differs. The test
 * files are imported here, so their own expectations must hold too.
 */
process.env.BLASTWALL_REPLAY = "verify";

import.meta.glob(["../d1/*.test.ts", "../rules/d1/*.test.ts", "./replay.test.ts"], { eager: true });
