export { MONITORING_STREAM, type MonitoringCall, type MonitoringDeps } from './deps';
export { ingestFile, ingestParsed, ingestText, type IngestSummary } from './ingest';
export { parseJsonl, parseLine, type ParsedLine, type Rejection } from './parse';
export { AlertQuerySchema, getAlert, listAlerts, type AlertQuery } from './alerts';
export { replay, type AlertDiffLine, type ReplayReport } from './replay';
export {
  addRuleVersion,
  listRuleVersions,
  promoteRuleVersion,
  ruleVersion,
  runningVersions,
  type RuleVersion,
} from './rule-versions';
