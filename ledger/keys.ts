import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseCheckpoint, type ParsedCheckpoint } from '../core/checkpoint';
import { headCheckpoints, isHeadText, parseHead, type ParsedHead } from '../core/ledger-head';
import {
  formatKeyLine,
  formatTrustedKeys,
  parseTrustedKeys,
  signerFrom,
  type PublicKeyInfo,
  type Signer,
} from '../core/signing';
import type { Config } from '../runtime/config';
import { ConfigError } from '../runtime/errors';

/**
 * Where keys and trust anchors live on this machine, outside the database:
 * - the private signing key: LEDGERFLOW_SIGNING_KEY_FILE, else `<data dir>/keys/signing-key.pem`;
 * - pinned public keys: `<data dir>/trust/keys.txt` (trusted-keys format);
 * - the last trusted checkpoint of each stream: `<data dir>/trust/<stream>.checkpoint`.
 */
export function trustPaths(config: Pick<Config, 'dataDir' | 'LEDGERFLOW_SIGNING_KEY_FILE'>) {
  const trustDir = path.join(config.dataDir, 'trust');
  return {
    signingKeyFile:
      config.LEDGERFLOW_SIGNING_KEY_FILE ?? path.join(config.dataDir, 'keys', 'signing-key.pem'),
    explicitKeyFile: Boolean(config.LEDGERFLOW_SIGNING_KEY_FILE),
    trustDir,
    pinnedKeysFile: path.join(trustDir, 'keys.txt'),
    trustedCheckpointFile: (stream: string) => path.join(trustDir, `${stream}.checkpoint`),
  };
}

type KeyConfig = Pick<Config, 'dataDir' | 'LEDGERFLOW_SIGNING_KEY_FILE'>;

function newKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Creates `file` holding `pem`, whole or not at all: written to a private temporary file first,
 * then hard-linked into place (EEXIST when another process got there first). Created in place,
 * a process starting at the same moment could read the file empty or half-written.
 */
function writePrivate(file: string, pem: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, pem, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Reads the pinned public keys of this machine (empty when none are pinned yet). */
export function readPinnedKeys(config: KeyConfig): Map<string, PublicKeyInfo> {
  const file = trustPaths(config).pinnedKeysFile;
  return existsSync(file) ? parseTrustedKeys(readFileSync(file, 'utf8')) : new Map();
}

/** Adds a public key to the pinned keys file (no-op when already pinned). */
export function pinKey(config: KeyConfig, key: PublicKeyInfo): boolean {
  const { pinnedKeysFile, trustDir } = trustPaths(config);
  if (readPinnedKeys(config).has(key.keyId)) return false;
  mkdirSync(trustDir, { recursive: true });
  if (!existsSync(pinnedKeysFile)) {
    writeFileSync(
      pinnedKeysFile,
      formatTrustedKeys([], 'ledgerflow pinned checkpoint keys: ed25519 <key id> <base64 public key>'),
    );
  }
  appendFileSync(pinnedKeysFile, `${formatKeyLine(key)}\n`);
  return true;
}

function loadFrom(file: string): Signer {
  try {
    return signerFrom(createPrivateKey(readFileSync(file)));
  } catch (err) {
    throw new ConfigError(`cannot read the Ed25519 signing key ${file}: ${(err as Error).message}`);
  }
}

/**
 * The checkpoint signing key. With LEDGERFLOW_SIGNING_KEY_FILE the key must exist there. The
 * embedded default generates one into the data dir on first use, pins its public key there and
 * says so through `log`.
 */
export function loadSigner(config: KeyConfig, log: (msg: string) => void = () => undefined): Signer {
  const p = trustPaths(config);
  if (!existsSync(p.signingKeyFile)) {
    if (p.explicitKeyFile)
      throw new ConfigError(`LEDGERFLOW_SIGNING_KEY_FILE: ${p.signingKeyFile} does not exist`);
    try {
      writePrivate(p.signingKeyFile, newKeyPem());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const signer = loadFrom(p.signingKeyFile);
    pinKey(config, signer);
    log(
      `ledgerflow: generated a new Ed25519 checkpoint signing key ${signer.keyId} in ${p.signingKeyFile}; ` +
        `its public key is pinned in ${p.pinnedKeysFile}`,
    );
    return signer;
  }
  const signer = loadFrom(p.signingKeyFile);
  if (!existsSync(p.pinnedKeysFile) && pinKey(config, signer)) {
    log(`ledgerflow: pinned the public key ${signer.keyId} of ${p.signingKeyFile} in ${p.pinnedKeysFile}`);
  }
  return signer;
}

/**
 * Rotates the signing key: a new key replaces the old at the key file path, the old private key
 * is kept beside it as `<file>.<old key id>.retired` (destroy it when policy allows), and both
 * public keys stay pinned so old checkpoints keep verifying.
 */
export function rotateSigner(
  config: KeyConfig,
  log: (msg: string) => void = () => undefined,
): { old: Signer | null; current: Signer } {
  const p = trustPaths(config);
  let old: Signer | null = null;
  if (existsSync(p.signingKeyFile)) {
    old = loadFrom(p.signingKeyFile);
    pinKey(config, old);
    renameSync(p.signingKeyFile, `${p.signingKeyFile}.${old.keyId}.retired`);
  }
  writePrivate(p.signingKeyFile, newKeyPem());
  const current = loadFrom(p.signingKeyFile);
  pinKey(config, current);
  log(
    `ledgerflow: new signing key ${current.keyId} in ${p.signingKeyFile}${old ? ` (replaces ${old.keyId}, which stays pinned)` : ''}`,
  );
  return { old, current };
}

/** Reads a trusted-keys file given on the command line. */
export function readTrustedKeysFile(file: string): Map<string, PublicKeyInfo> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read trusted keys ${file}: ${(err as Error).message}`);
  }
  try {
    return parseTrustedKeys(text);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads a trusted checkpoint file given on the command line: a per-stream checkpoint, or a
 * ledger head (which stands for one trusted checkpoint per stream it lists).
 */
export function readTrustedCheckpointFile(file: string): ParsedCheckpoint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read checkpoint ${file}: ${(err as Error).message}`);
  }
  try {
    return isHeadText(text) ? headCheckpoints(parseHead(text)) : [parseCheckpoint(text)];
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

/** The ledger head in a trusted-checkpoint file, or null when the file holds a per-stream checkpoint. */
export function readTrustedHeadFile(file: string): ParsedHead | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read checkpoint ${file}: ${(err as Error).message}`);
  }
  try {
    return isHeadText(text) ? parseHead(text) : null;
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

/** Reads a checkpoint file given on the command line. */
export function readCheckpointFile(file: string): ParsedCheckpoint {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read checkpoint ${file}: ${(err as Error).message}`);
  }
  try {
    return parseCheckpoint(text);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

/** The last trusted checkpoint of `stream` kept in the data dir, if any. */
export function readLocalTrustedCheckpoint(config: KeyConfig, stream: string): ParsedCheckpoint | null {
  const file = trustPaths(config).trustedCheckpointFile(stream);
  return existsSync(file) ? readCheckpointFile(file) : null;
}

/** Records `text` as the last trusted checkpoint of its stream in the data dir (only moves forward). */
export function saveLocalTrustedCheckpoint(config: KeyConfig, text: string): void {
  const cp = parseCheckpoint(text);
  const current = readLocalTrustedCheckpoint(config, cp.stream);
  if (current && current.treeSize >= cp.treeSize) return;
  const file = trustPaths(config).trustedCheckpointFile(cp.stream);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
