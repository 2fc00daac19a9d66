import { createHmac } from 'node:crypto';
import type { Config } from '../runtime/config';

export const APP_ROLES = ['ledgerflow_writer', 'ledgerflow_reader', 'ledgerflow_purger'] as const;
export type AppRole = (typeof APP_ROLES)[number];

const ROLE_URL_VAR: Record<
  AppRole,
  'LEDGERFLOW_WRITER_URL' | 'LEDGERFLOW_READER_URL' | 'LEDGERFLOW_PURGER_URL'
> = {
  ledgerflow_writer: 'LEDGERFLOW_WRITER_URL',
  ledgerflow_reader: 'LEDGERFLOW_READER_URL',
  ledgerflow_purger: 'LEDGERFLOW_PURGER_URL',
};

/**
 * Password of an app role: LEDGERFLOW_APP_PASSWORD when set, else derived from the owner's
 * password (HMAC), so only someone who already holds the owner URL can compute it.
 */
export function appRolePassword(
  config: Pick<Config, 'LEDGERFLOW_APP_PASSWORD'>,
  ownerUrl: string,
  role: AppRole,
): string {
  if (config.LEDGERFLOW_APP_PASSWORD) return config.LEDGERFLOW_APP_PASSWORD;
  const ownerPassword = decodeURIComponent(new URL(ownerUrl).password);
  return createHmac('sha256', `ledgerflow:${ownerPassword}`).update(role).digest('base64url');
}

/** URL the app uses for `role`: the explicit LEDGERFLOW_*_URL, else the owner URL with that role's credentials. */
export function appRoleUrl(config: Config, ownerUrl: string, role: AppRole): string {
  const explicit = config[ROLE_URL_VAR[role]];
  if (explicit) return explicit;
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = appRolePassword(config, ownerUrl, role);
  return url.toString();
}
