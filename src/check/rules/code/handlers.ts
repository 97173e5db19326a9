// The handler detection lives with the project model, which runbook and drill read too.
export { defaultExport, handlerMembers } from "../../../project/handlers.js";
