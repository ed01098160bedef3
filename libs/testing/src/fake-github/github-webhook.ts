import { createHmac, randomUUID } from 'node:crypto';

/** `X-Hub-Signature-256` of a webhook body: `sha256=` + HMAC-SHA256(secret, raw body) in hex, as GitHub signs. */
export function githubSignature(secret: string, raw: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** The headers GitHub sends with a webhook delivery (event name, delivery id, signature). */
export function githubWebhookHeaders(secret: string, raw: string | Buffer, event: string, delivery: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/fake',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-github-hook-id': '1',
    'x-hub-signature-256': githubSignature(secret, raw),
  };
}

export interface SentGithubWebhook {
  status: number;
  body: string;
  delivery: string;
}

/**
 * POSTs a GitHub-signed webhook delivery to `url` (e.g. the gateway's
 * `/api/v1/webhooks/github/<connection id>`). `delivery` repeats a delivery (a redelivery).
 */
export async function sendGithubWebhook(
  url: string,
  secret: string,
  event: string,
  payload: unknown,
  delivery: string = randomUUID(),
): Promise<SentGithubWebhook> {
  const raw = JSON.stringify(payload);
  const res = await fetch(url, { method: 'POST', headers: githubWebhookHeaders(secret, raw, event, delivery), body: raw });
  return { status: res.status, body: await res.text(), delivery };
}
