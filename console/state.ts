/** Shared state of one console page: the current search filter and how views navigate. */
export type ViewName = 'search' | 'event' | 'timeline' | 'alerts' | 'status' | 'keys';

/** The search filter: API query members with non-empty values. */
export type Filter = Record<string, string>;

/** Server-side settings the console reads from `/console/config.json`. */
export interface ConsoleConfig {
  temporal_ui_url: string | null;
  temporal_namespace: string;
}

export interface App {
  config: ConsoleConfig;
  filter: Filter;
  /** Shows a view; `arg` is what it needs (an event ref, a case id). */
  show(view: ViewName, arg?: string): void;
}

/** The Temporal Web UI page of a workflow run, or undefined when no UI is configured. */
export function temporalLink(cfg: ConsoleConfig, workflowId: string, runId?: string): string | undefined {
  if (!cfg.temporal_ui_url) return undefined;
  const base = `${cfg.temporal_ui_url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(cfg.temporal_namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}
