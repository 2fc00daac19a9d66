import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The ledger's optional native module (ledger/native/*.c, built into dist/native/ledger.node by
 * scripts/build-native.ts): OpenSSL's SHA-256 of spans (ledger/sha256-span.ts) and the COPY
 * chunk checker's byte path (ledger/verify-chunk.ts). Each user checks known answers before it
 * relies on its part; without the module everything runs in TypeScript with the same verdicts.
 */
export interface NativeModule {
  abiVersion: number;
  sha256Into(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): void;
  sha256Equals(src: Uint8Array, from: number, to: number, want: Uint8Array, at: number): boolean;
  /** 1 clean, 0 dirty, 2 outside what it reads; rows = leaves.length / 32 (see ledger/native/copy-chunk.h). */
  checkCopyChunk(
    chunk: Uint8Array,
    streamJson: Uint8Array,
    leaves: Uint8Array,
    nodes: Uint8Array,
    meta: Uint8Array,
  ): number;
  /** checkCopyChunk on libuv's thread pool; the arrays must not change or be transferred before it settles. */
  checkCopyChunkAsync(
    chunk: Uint8Array,
    streamJson: Uint8Array,
    leaves: Uint8Array,
    nodes: Uint8Array,
    meta: Uint8Array,
  ): Promise<number>;
  /** Length of the canonical JSON of the jsonb text src[from..to) written at out[0..), or -1. */
  jsonbCanonical(src: Uint8Array, from: number, to: number, out: Uint8Array): number;
}

/** The contract ledger/native/sha256.c's ABI_VERSION names. */
const ABI_VERSION = 3;

/** The file's name in dist/native/. */
export const NATIVE_MODULE_FILE = 'ledger.node';

/** dist/native/ beside the compiled ledger/ folder, or the checkout's dist/native/ when running from sources. */
const CANDIDATES = [
  path.join(__dirname, '..', 'native', NATIVE_MODULE_FILE),
  path.join(__dirname, '..', 'dist', 'native', NATIVE_MODULE_FILE),
];

function load(): NativeModule | null {
  for (const file of CANDIDATES) {
    if (!existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon loads through require
      const m = require(file) as NativeModule;
      return m.abiVersion === ABI_VERSION ? m : null;
    } catch {
      // Built for another Node, or this node does not export OpenSSL's SHA-256.
      return null;
    }
  }
  return null;
}

/** The module when it is built and loads, else null. */
export const nativeModule: NativeModule | null = load();

/** What to say when a test or a user asks for a native part that is not there. */
export const NATIVE_MISSING =
  'the native verifier is not built or did not load: run `npm run build` (needs a C compiler)';
