import type { Analyzer } from "./analyzer.js";
import { createCodeAnalyzer } from "./code/analyzer.js";
import { createConfigAnalyzer } from "./config/analyzer.js";
import { d1Analyzer } from "./d1/analyzer.js";

/** The analyzers `blastwall check` runs, in order. Each family registers itself here with one line. */
export const analyzers: Analyzer[] = [createConfigAnalyzer(), createCodeAnalyzer(), d1Analyzer];
