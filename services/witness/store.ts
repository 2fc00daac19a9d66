import { existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { WITNESS_LOG_FILE, splitWitnessLog } from '../../core/witness';
import type { Config } from '../../runtime/config';
import { ConfigError } from '../../runtime/errors';

/**
 * Where signed ledger heads are published, outside the database. Only two operations, so an
 * object store with object lock (one object per head) can stand in for the directory.
 */
export interface WitnessStore {
  /** Where the witness is, for messages and evidence. */
  readonly location: string;
  /** Every record as published, in stored order. */
  read(): Promise<string[]>;
  /** Appends one record; never overwrites or removes one. */
  append(record: string): Promise<void>;
}

/**
 * A directory holding one append-only log file (`ledger-heads.log`). Writes only ever open the
 * file with O_APPEND, so it works on a file or directory the operator made append-only
 * (`chattr +a`), on a mount from another host, or on a WORM share.
 */
export function directoryWitness(dir: string): WitnessStore {
  const resolved = path.resolve(dir);
  const file = path.join(resolved, WITNESS_LOG_FILE);
  const checkDir = () => {
    if (!existsSync(resolved) || !statSync(resolved).isDirectory())
      throw new ConfigError(
        `witness directory ${resolved} does not exist (create it on the witness host; see docs/ledger.md, "Witness")`,
      );
  };
  return {
    location: file,
    async read() {
      checkDir();
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new ConfigError(`cannot read the witness ${file}: ${(err as Error).message}`);
      }
      return splitWitnessLog(text);
    },
    async append(record) {
      checkDir();
      const fh = await open(file, 'a+').catch((err: Error) => {
        throw new ConfigError(`cannot append to the witness ${file}: ${err.message}`);
      });
      try {
        const { size } = await fh.stat();
        let sep = '';
        if (size > 0) {
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          // A torn earlier write must not glue this record onto its last line.
          if (last[0] !== 0x0a) sep = '\n';
        }
        await fh.write(sep + record);
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
  };
}

/** The witness configured by LEDGERFLOW_WITNESS_DIR, or undefined. */
export function configuredWitness(config: Pick<Config, 'LEDGERFLOW_WITNESS_DIR'>): WitnessStore | undefined {
  return config.LEDGERFLOW_WITNESS_DIR ? directoryWitness(config.LEDGERFLOW_WITNESS_DIR) : undefined;
}
