/**
 * Loads a module when an action first needs it, so declaring a command (and printing its
 * `--help`) loads none of what running it needs (Temporal, OpenTelemetry, Fastify, NATS).
 * `req` is a require(): the bin runs it (compiled, or under tsx's CommonJS hook); `imp` an
 * import() of the same module (a `.js` literal resolves to the `.ts` source) for where require()
 * cannot load TypeScript: the in-process test runner. test/cli-startup.test.ts checks that every
 * command group's help loads none of those packages.
 */
export async function lazily<T>(req: () => T, imp: () => Promise<T>): Promise<T> {
  try {
    return req();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    return imp();
  }
}
