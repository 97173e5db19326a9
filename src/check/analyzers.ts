import type { Analyzer } from "./analyzer.js";

/** The analyzers `blastwall check` runs, in order. Each family registers itself here with one line. */
export const analyzers: Analyzer[] = [];
