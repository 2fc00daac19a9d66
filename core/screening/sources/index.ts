import type { SourceAdapter } from './adapter';
import { ofacConsolidatedAdapter, ofacSdnAdapter } from './ofac-csv';
import { unAdapter } from './un-xml';

export type { ListFiles, SourceAdapter } from './adapter';
export { parseOfacCsv } from './ofac-csv';
export { parseUnXml } from './un-xml';

/** Every known list format. EU/UK: add an adapter here. */
export const SOURCE_ADAPTERS: Record<string, SourceAdapter> = {
  [ofacSdnAdapter.id]: ofacSdnAdapter,
  [ofacConsolidatedAdapter.id]: ofacConsolidatedAdapter,
  [unAdapter.id]: unAdapter,
};

/** Guesses the source from the file names of a publication. */
export function detectSource(fileNames: string[]): string | undefined {
  const names = fileNames.map((f) => f.toLowerCase());
  if (names.includes('sdn.csv')) return 'ofac-sdn';
  if (names.includes('cons_prim.csv')) return 'ofac-consolidated';
  if (names.some((n) => n.endsWith('.xml'))) return 'un';
  return undefined;
}
