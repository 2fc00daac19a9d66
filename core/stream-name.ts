/** A ledger stream name: 1-63 chars of a-z, 0-9, "_", "." or "-", starting with a letter or digit (own module: worker threads check it without loading zod). */
export const STREAM_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
