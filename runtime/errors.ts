/** A problem with the environment or configuration the user must fix; the CLI prints it and exits 2. */
export class ConfigError extends Error {
  readonly code = 'CONFIG';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Bad input from a user or caller; nothing was written. The CLI exits 2 (usage) or 1 (rejected data). */
export class InputError extends Error {
  readonly code = 'INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
