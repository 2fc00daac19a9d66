import { z } from 'zod';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
// CLDR region codes that are not ISO 3166-1 countries.
const NOT_COUNTRIES = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'XK']);

/** True when `code` is an ISO 3166-1 alpha-2 country code known to the runtime's CLDR data. */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && !NOT_COUNTRIES.has(code) && regionNames.of(code) !== undefined;
}

const Country = z.string().refine(isCountryCode, { message: 'unknown country (ISO 3166-1 alpha-2)' });
const Id = z.string().trim().min(1).max(200);

/**
 * A monitored transaction (the ingest contract). `occurred_at` carries its offset; windows are
 * computed in UTC. `amount` is a positive decimal string in the account currency.
 */
export const TransactionSchema = z
  .object({
    transaction_id: Id,
    occurred_at: z.iso.datetime({ offset: true, message: 'occurred_at: ISO 8601 with an offset' }),
    account_id: Id,
    counterparty_id: Id,
    amount: z.string().superRefine((a, ctx) => {
      if (!/^\d{1,15}(\.\d{1,6})?$/.test(a))
        ctx.addIssue({ code: 'custom', message: 'must be a positive decimal string such as "125.50"' });
      else if (!(Number(a) > 0)) ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
    }),
    currency: z.string().refine((c) => CURRENCIES.has(c), 'unknown currency (ISO 4217)'),
    direction: z.enum(['debit', 'credit']),
    channel: z.enum(['card', 'transfer', 'cash', 'wallet']),
    country: Country,
    device_id: Id.optional(),
    ip_country: Country.optional(),
    merchant_category: z.string().trim().min(1).max(50).optional(),
  })
  .strict();

export type Transaction = z.infer<typeof TransactionSchema>;

/** A transaction with its event time in epoch milliseconds (UTC) and its amount as a number. */
export interface TimedTransaction extends Transaction {
  at: number;
  value: number;
}

/** Adds the parsed event time and amount used by the rules. */
export function timed(tx: Transaction): TimedTransaction {
  return { ...tx, at: Date.parse(tx.occurred_at), value: Number(tx.amount) };
}

/** True when the decimal amount is an exact multiple of 1,000 (e.g. "3000" or "3000.00"). */
export function isExactThousands(amount: string): boolean {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m || (m[2] && /[1-9]/.test(m[2]))) return false;
  const int = m[1] as string;
  return int.length >= 4 && int.endsWith('000') && /[1-9]/.test(int);
}
