export { type FaultOptions, type FaultyVariant, writeFaultyVariant } from "../project/fault.js";
export {
  type DrillCheck,
  type DrillCli,
  type DrillOptions,
  type DrillReport,
  type DrillStep,
  drillWorkers,
  incidentFor,
  runDrill,
  type Scenario,
} from "./drill.js";
export { createSandbox, type DrillSandbox } from "./sandbox.js";
export { SCENARIOS } from "./scenarios.js";
