import type { Actor, AuditEventInput } from '../../core/audit-event';
import { DEFAULT_MATCHER_CONFIG, type MatcherConfig } from '../../core/screening/config';
import type { Database } from '../../db/client';
import { screeningAlerts } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import type { DownloadOptions } from '../../providers/sanctions-download';
import { createActiveIndex, type ActiveIndex } from './active-index';
import type { CallContext } from './types';

/** What the screening service is built from; entrypoints pass the matcher config they loaded. */
export interface ScreeningDeps {
  db: Database;
  ledger: Ledger;
  /** Thresholds and scorer (from `loadConfig().screening`); default {@link DEFAULT_MATCHER_CONFIG}. */
  matcher?: MatcherConfig;
  /** A new version dropping more than this share of the active version's entries needs confirmation (default 0.1). */
  maxDropShare?: number;
  /** Who acts when the caller does not say (default the screening service). */
  actor?: Actor;
  download?: DownloadOptions;
  log?: (message: string) => void;
}

/** {@link ScreeningDeps} with defaults applied and the index over the active lists (cached per service). */
export interface Screening {
  db: Database;
  ledger: Ledger;
  matcher: MatcherConfig;
  maxDropShare: number;
  defaultActor: Actor;
  download?: DownloadOptions;
  log: (message: string) => void;
  index: ActiveIndex;
}

/** Applies the defaults; build once per process (the active-list index is cached in it). */
export function resolveScreeningDeps(deps: ScreeningDeps): Screening {
  const matcher = deps.matcher ?? DEFAULT_MATCHER_CONFIG;
  return {
    db: deps.db,
    ledger: deps.ledger,
    matcher,
    maxDropShare: deps.maxDropShare ?? 0.1,
    defaultActor: deps.actor ?? { type: 'service', id: 'ledgerflow-screening' },
    download: deps.download,
    log: deps.log ?? (() => undefined),
    index: createActiveIndex(deps.db, matcher),
  };
}

/** A screening ledger event with the caller's actor and context. */
export function screeningEvent(
  s: Screening,
  call: CallContext,
  e: Omit<AuditEventInput, 'actor' | 'context'>,
): AuditEventInput {
  // JSON round trip: drops `undefined` fields, which the payload schema does not accept.
  const payload = JSON.parse(JSON.stringify(e.payload ?? {})) as AuditEventInput['payload'];
  return { ...e, payload, actor: call.actor ?? s.defaultActor, context: call.context ?? {} };
}

/** Raises an ingestion alert (shown by `lists status` until a version of the source is activated). */
export async function raiseAlert(s: Screening, source: string, kind: string, message: string): Promise<void> {
  await s.db.insert(screeningAlerts).values({ source, kind, message });
  s.log(`ALERT [${source}] ${kind}: ${message}`);
}
