import { shortList } from '../../../core/posture/evaluate';
import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';

// A principal's last use is its latest ledger event as actor (or its creation); an API key's is
// its principal's latest event through the API (or the key's creation): keys have no own usage log.
const SQL = `WITH used AS (
  SELECT actor_id, max(occurred_at) AS any_use,
         max(occurred_at) FILTER (WHERE context->'request'->>'source' = 'api') AS api_use
    FROM ledger_events WHERE actor_id IN (SELECT id FROM principals) GROUP BY actor_id)
SELECT 'principal' AS kind, p.id AS id, greatest(p.created_at, u.any_use) < $1::timestamptz AS dormant
  FROM principals p LEFT JOIN used u ON u.actor_id = p.id
UNION ALL
SELECT 'api_key', k.key_id, greatest(k.created_at, u.api_use) < $1::timestamptz
  FROM api_keys k LEFT JOIN used u ON u.actor_id = k.principal_id WHERE k.revoked_at IS NULL`;

/** Principals and unrevoked API keys unused for unusedDays are flagged for review or revocation. */
export const dormantAccess = defineControl<{ cutoff: string; checked: number; dormant: string[] }>({
  definition: {
    id: 'dormant-access',
    title: 'No principals or API keys unused for N days',
    description:
      'Every principal acted (a ledger event as actor) and every unrevoked API key was used (an API event of its principal) within unusedDays, else it is flagged for review or revocation.',
    frameworks: [FRAMEWORK.soc2CC61, FRAMEWORK.pci102],
  },
  async probe({ db, now, settings }) {
    const cutoff = new Date(Date.parse(now) - settings.unusedDays * 86_400_000).toISOString();
    const r = await db.$client.query<{ kind: string; id: string; dormant: boolean }>(SQL, [cutoff]);
    return {
      probe: SQL.replace('$1', `'${cutoff}'`),
      observed: {
        cutoff,
        checked: r.rows.length,
        dormant: r.rows.filter((x) => x.dormant).map((x) => `${x.kind} ${x.id}`),
      },
    };
  },
  evaluate(o, { settings }) {
    return o.dormant.length
      ? { status: 'fail', detail: `unused for ${settings.unusedDays} days: ${shortList(o.dormant)}` }
      : {
          status: 'pass',
          detail: `${o.checked} principals and keys used within ${settings.unusedDays} days`,
        };
  },
});
