import { loadLocalList } from '../providers/sanctions-files';
import { startListServer } from '../simulators/sanctions-list-server';

/** Serves local list snapshots over HTTP: `npx tsx scripts/serve-sanctions-lists.ts DIR...` (PORT, default 8089). */
async function main(): Promise<void> {
  const server = await startListServer({ port: Number(process.env.PORT ?? 8089) });
  for (const dir of process.argv.slice(2)) {
    const l = await loadLocalList(dir);
    server.publish(l.source, l.files);
    process.stderr.write(`serving ${l.source} at ${server.url}/lists/${l.source}/\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
