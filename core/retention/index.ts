export * from './adapters';
export * from './config';
export * from './defaults';
export * from './duration';
export * from './types';
export * from './certificate';
export * from './purge-digest';
