/** Domain errors of loan origination; the activity adapter maps each to its contract failure type. */

/** Network error, timeout or 5xx from a provider: worth retrying. */
export class ProviderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** 429 from a provider; retry after `retryAfterS` seconds when the provider said so. */
export class ProviderRateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterS: number | undefined,
  ) {
    super(message);
    this.name = 'ProviderRateLimitedError';
  }
}

/** Another 4xx: the request is wrong, retrying does not help. */
export class ProviderRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderRejectedError';
  }
}

/** The provider answered with a body that does not match its contract. */
export class ProviderMalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderMalformedResponseError';
  }
}

/** The application's personal data is missing or purged. */
export class ApplicantDataMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApplicantDataMissingError';
  }
}

/** The provider endpoints were not given to the worker. */
export class ProvidersNotConfiguredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvidersNotConfiguredError';
  }
}

/** The sanctions engine refused a party's data (e.g. an unusable name). */
export class ScreeningInputRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScreeningInputRejectedError';
  }
}
