import type { Analyzer } from "./analyzer.js";
import { createCodeAnalyzer } from "./code/analyzer.js";
import { createConfigAnalyzer } from "./config/analyzer.js";

/** The analyzers `blastwall check` runs, in order. Each family registers itself here with one line. */
export const analyzers: Analyzer[] = [createConfigAnalyzer(), createCodeAnalyzer()];
