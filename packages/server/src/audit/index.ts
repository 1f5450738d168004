export type { AuditActor, AuditEntry, Audited, AuditSubject, RequestFacts, ResolvedSubject } from "./audited.js";
export { actorOf, createAuditor, recordAuditEntry, requestFactsOf } from "./audited.js";
export { auditedMethods, isReadMethodName, unauditedMethods } from "./audited-methods.js";
