export type {
  AuditActor,
  AuditEntry,
  Audited,
  AuditSubject,
  CliSubject,
  RequestFacts,
  ResolvedSubject,
} from "./audited.js";
export {
  actorOf,
  cliAudited,
  cliRequestFacts,
  createAuditor,
  recordAuditEntry,
  requestFactsOf,
} from "./audited.js";
export { auditedMethods, isReadMethodName, unauditedMethods } from "./audited-methods.js";
