import type { PinnedKey } from './keys';

/**
 * Where the console keeps state: the API key only in sessionStorage (gone when the tab closes,
 * cleared on sign-out), the pinned keys in localStorage (they are public keys, kept across visits).
 */
const API_KEY = 'ledgerflow.apiKey';
const PINNED = 'ledgerflow.pinnedKeys';

export const session = {
  get: (): string | null => sessionStorage.getItem(API_KEY),
  set: (key: string): void => sessionStorage.setItem(API_KEY, key),
  clear: (): void => sessionStorage.removeItem(API_KEY),
};

/** The pinned keys (malformed storage reads as none). */
export function pinnedKeys(): PinnedKey[] {
  try {
    const v = JSON.parse(localStorage.getItem(PINNED) ?? '[]') as unknown;
    return Array.isArray(v)
      ? v.filter(
          (k): k is PinnedKey =>
            typeof k?.keyId === 'string' &&
            typeof k?.publicKey === 'string' &&
            /^[0-9a-f]{16}$/.test(k.keyId),
        )
      : [];
  } catch {
    return [];
  }
}

/** Adds keys (by key id, a later copy replaces an earlier one). */
export function pinKeys(keys: PinnedKey[]): void {
  const all = new Map(pinnedKeys().map((k) => [k.keyId, k]));
  for (const k of keys) all.set(k.keyId, k);
  localStorage.setItem(PINNED, JSON.stringify([...all.values()]));
}

/** Removes one pinned key. */
export function unpinKey(keyId: string): void {
  localStorage.setItem(PINNED, JSON.stringify(pinnedKeys().filter((k) => k.keyId !== keyId)));
}
