import { hoursBetween } from '../../../core/posture/evaluate';
import { FRAMEWORK } from '../../../core/posture/types';
import { checkWitnessRecords } from '../../../core/witness';
import { latestHead } from '../../../ledger/head';
import { databaseKeys } from '../../../ledger/verify';
import { defineControl } from '../control';

type Observed = {
  witness: string | null;
  records: number;
  bad_records: string[];
  last_published: { version: number; signed_at: string } | null;
  live_head_version: number | null;
};

/** The signed ledger head reached the external witness recently, and the witness's records verify. */
export const witnessPublished = defineControl<Observed>({
  definition: {
    id: 'witness-published',
    title: 'Ledger head published to the witness',
    description:
      'The external witness (LEDGERFLOW_WITNESS_DIR) holds a signed ledger head signed at most witnessMaxAgeHours ago ' +
      '(or the live head itself), and every record in it parses and verifies.',
    frameworks: [FRAMEWORK.soc2CC72, FRAMEWORK.pci103, FRAMEWORK.pci105, FRAMEWORK.hipaaAudit],
  },
  async probe({ db, witness }) {
    const live = await latestHead(db);
    if (!witness)
      return {
        probe: 'LEDGERFLOW_WITNESS_DIR',
        observed: {
          witness: null,
          records: 0,
          bad_records: [],
          last_published: null,
          live_head_version: live?.version ?? null,
        },
      };
    const records = checkWitnessRecords(await witness.read(), await databaseKeys(db));
    const last = records.heads.at(-1);
    return {
      probe: `read ${witness.location}; signatures checked against ledger_signing_keys; SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1`,
      observed: {
        witness: witness.location,
        records: records.count,
        bad_records: records.problems,
        last_published: last ? { version: last.version, signed_at: last.timestamp } : null,
        live_head_version: live?.version ?? null,
      },
    };
  },
  evaluate(o, { now, settings }) {
    if (!o.witness) return { status: 'fail', detail: 'no witness configured (set LEDGERFLOW_WITNESS_DIR)' };
    if (o.bad_records.length) return { status: 'fail', detail: o.bad_records[0] as string };
    if (!o.last_published) return { status: 'fail', detail: `nothing published to ${o.witness}` };
    const age = hoursBetween(o.last_published.signed_at, now);
    const current = o.live_head_version === o.last_published.version;
    return age <= settings.witnessMaxAgeHours || current
      ? {
          status: 'pass',
          detail: `head version ${o.last_published.version} published, signed ${age.toFixed(1)} h ago${current ? ' (the live head)' : ''}`,
        }
      : {
          status: 'fail',
          detail:
            `last published head version ${o.last_published.version} was signed ${age.toFixed(1)} h ago ` +
            `(window ${settings.witnessMaxAgeHours} h); the live head is version ${o.live_head_version}`,
        };
  },
});
