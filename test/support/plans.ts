import type pg from 'pg';

/** A node of a JSON plan as auto_explain logs it. */
export interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** The node types of a plan tree. */
export function nodeTypes(node: PlanNode): string[] {
  return [node['Node Type'] ?? '', ...(node.Plans ?? []).flatMap((child) => nodeTypes(child))];
}

/** Rows each ledger table's scans produced or filtered away, over all loops. */
export function tableReads(node: PlanNode, acc: Record<string, number> = {}): Record<string, number> {
  const table = node['Relation Name'];
  if (table?.startsWith('ledger_')) {
    const perLoop =
      node['Actual Rows'] +
      (node['Rows Removed by Filter'] ?? 0) +
      (node['Rows Removed by Index Recheck'] ?? 0);
    acc[table] = (acc[table] ?? 0) + Math.round(perLoop * node['Actual Loops']);
  }
  for (const child of node.Plans ?? []) tableReads(child, acc);
  return acc;
}

/**
 * Logs the JSON plan (with actual rows) of every statement `c` runs from now on, nested ones
 * included, as notices; returns the list they are collected in and a function that parses the
 * collected plans whose query text contains `marker`.
 */
export async function collectPlans(c: pg.Client): Promise<{
  notices: string[];
  plansOf: (marker: string) => Array<{ 'Query Text': string; Plan: PlanNode }>;
}> {
  const notices: string[] = [];
  await c.query(`LOAD 'auto_explain'`);
  await c.query(`SET auto_explain.log_min_duration = 0`);
  await c.query(`SET auto_explain.log_nested_statements = on`);
  await c.query(`SET auto_explain.log_analyze = on`);
  await c.query(`SET auto_explain.log_format = json`);
  await c.query(`SET client_min_messages = log`);
  c.on('notice', (n) => notices.push(n.message ?? ''));
  const plansOf = (marker: string) =>
    notices
      .filter((p) => p.includes('plan:'))
      .map((p) => JSON.parse(p.slice(p.indexOf('plan:') + 5)) as { 'Query Text': string; Plan: PlanNode })
      .filter((p) => p['Query Text'].includes(marker));
  return { notices, plansOf };
}
