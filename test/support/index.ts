// The test support module: servers (database, Temporal), the CLI runner, the loan and retention
// environments and condition waits. Every test file imports from here.
export * from './browser';
export * from './cli';
export * from './database';
export * from './histories';
export * from './loan-env';
export * from './retention';
export * from './temporal';
export * from './wait';
export * from './otlp-receiver';
export * from './starts';
export * from './copy-lines';
