export * from './ledger-events';
export * from './ledger-checkpoints';
export * from './loan';
export * from './api-keys';
export * from './retention';
export * from './screening';
export * from './monitoring';
