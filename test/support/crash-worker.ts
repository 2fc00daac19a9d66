// Test-only worker process for kill -9 tests: the production worker process (worker/main.ts)
// with test hooks given as one JSON argument, e.g.
// `tsx test/support/crash-worker.ts '{"holdAfterWriteMs":60000}'` or `'{"purgeBatchDelayMs":300}'`.
import { z } from 'zod';
import { runWorkerProcess } from '../../worker/main';

const HooksSchema = z
  .object({
    /** Keep each smoke activity running this long after its ledger write. */
    holdAfterWriteMs: z.number().int().nonnegative().optional(),
    /** Pause between retention purge batches. */
    purgeBatchDelayMs: z.number().int().nonnegative().optional(),
    /** Transaction feed: wait this long between the commit and the acks. */
    feedHoldBeforeAckMs: z.number().int().nonnegative().optional(),
  })
  .strict();

const hooks = HooksSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
runWorkerProcess(hooks).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
