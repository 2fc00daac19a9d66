import type { ParsedList, SourceId } from '../types';

/** The files of one list publication, by file name (e.g. `sdn.csv` -> its text). */
export type ListFiles = Record<string, string>;

/**
 * A sanctions list format. Adding the EU or UK list means one more adapter: say which files it
 * needs and turn their text into {@link ParsedList} entries. Parsing is pure: no I/O here.
 */
export interface SourceAdapter {
  id: SourceId;
  title: string;
  /** File names the publication consists of; `required` ones must be present. */
  files: Array<{ name: string; required: boolean }>;
  /** Default download URLs relative to a base URL (the simulated server mirrors these names). */
  parse(files: ListFiles): ParsedList;
}
