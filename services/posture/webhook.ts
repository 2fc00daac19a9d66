import { createHmac } from 'node:crypto';
import type { AlarmDelivery } from './alarms';

/** Where alarms are sent and the shared secret they are signed with. */
export interface AlarmWebhook {
  url: string;
  secret: string;
}

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`. */
export const SIGNATURE_HEADER = 'x-ledgerflow-signature';
/** Header carrying the delivery id (the alarm event's id): receivers drop repeats. */
export const DELIVERY_HEADER = 'x-ledgerflow-delivery';

/** The signature header value of a body. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The receiver failed or was unreachable: the caller (activity) retries. */
export class WebhookDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/**
 * POSTs one alarm delivery as JSON, signed with HMAC-SHA256. A non-2xx answer or a network error
 * throws {@link WebhookDeliveryError}; the same delivery always has the same body and delivery id.
 */
export async function deliverAlarm(
  webhook: AlarmWebhook,
  delivery: AlarmDelivery,
  timeoutMs = 10_000,
): Promise<{ status: number }> {
  const body = JSON.stringify(delivery);
  let res: Response;
  try {
    res = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhookBody(webhook.secret, body),
        [DELIVERY_HEADER]: delivery.delivery_id,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new WebhookDeliveryError(`alarm webhook unreachable: ${(err as Error).message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new WebhookDeliveryError(`alarm webhook answered HTTP ${res.status}`);
  return { status: res.status };
}
