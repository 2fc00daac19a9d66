// Kept for test files written before test/support/ (other branches): import from './support'.
export * from './support/database';
