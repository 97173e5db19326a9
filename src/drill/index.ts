export {
  type DrillCheck,
  type DrillOptions,
  type DrillReport,
  type DrillStep,
  incidentFor,
  runDrill,
  type Scenario,
} from "./drill.js";
export { type FaultOptions, type FaultyVariant, writeFaultyVariant } from "./fault.js";
export { createSandbox, type DrillSandbox } from "./sandbox.js";
export { SCENARIOS } from "./scenarios.js";
