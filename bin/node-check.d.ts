/** The verdict on one Node version: `line` is what bin/blastwall.js prints (to stderr) for "warn" and "error". */
export interface NodeCheck {
  level: "ok" | "warn" | "error";
  line?: string;
}

/** See bin/node-check.js. */
export function checkNode(version: string, range: string): NodeCheck;
