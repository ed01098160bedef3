import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where providers post: /api/v1/webhooks/{github|slack|discord}/{connectionId}. */
export const WEBHOOK_PATH_PREFIX = '/api/v1/webhooks/';

/** A private content type: only webhook requests are steered to it, by the hook below. */
const RAW_WEBHOOK_TYPE = 'application/x-aether-webhook-raw';

const ORIGINAL_CONTENT_TYPE = Symbol('aether.webhook.originalContentType');

type WebhookRequest = FastifyRequest & { [ORIGINAL_CONTENT_TYPE]?: string };

/**
 * Webhook routes get the body as raw bytes, exactly as sent — signatures are computed over
 * them, so the JSON parser (which would parse, check and re-encode) must never see it — and a
 * size limit of their own. An onRequest hook re-labels the content type of requests to those
 * paths only; every other route keeps the gateway's JSON parser. The provider's content type is
 * kept for the hub (`originalContentType`).
 */
export function installWebhookBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'POST' && request.url.startsWith(WEBHOOK_PATH_PREFIX)) {
      (request as WebhookRequest)[ORIGINAL_CONTENT_TYPE] = request.headers['content-type'] ?? '';
      request.headers['content-type'] = RAW_WEBHOOK_TYPE;
    }
    done();
  });
  fastify.addContentTypeParser(RAW_WEBHOOK_TYPE, { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
}

/** The content type the provider sent (before the re-labelling). */
export function originalContentType(request: FastifyRequest): string {
  return (request as WebhookRequest)[ORIGINAL_CONTENT_TYPE] ?? '';
}
