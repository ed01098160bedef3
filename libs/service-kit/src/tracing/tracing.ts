/**
 * OpenTelemetry start-up. Preloaded with `node --require dist/libs/service-kit/src/tracing/tracing.js`
 * (the Dockerfile and the dev runner do) so instrumentations patch http, grpc, amqplib, pg, ioredis
 * and mongodb before they are loaded. Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; everything else comes from the standard OTEL_* vars.
 */
const enabled = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);

if (enabled && process.env.OTEL_SDK_DISABLED !== 'true') {
  // Required here, not imported: the SDK and the auto-instrumentations are ~1,300 modules
  // (~40 MB RSS, ~0.9 s) that a service with tracing off must not pay for.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? process.env.AETHER_SERVICE_NAME,
    instrumentations: [
      getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-fs': { enabled: false },
        '@opentelemetry/instrumentation-dns': { enabled: false },
        '@opentelemetry/instrumentation-net': { enabled: false },
        // @aether/messaging makes its own publish/consume spans with trace context in headers.
        '@opentelemetry/instrumentation-amqplib': { enabled: false },
        // Only trace store calls made on behalf of a traced request, not background polling
        // (outbox relay, schedulers), which would otherwise flood the backend with one-span traces.
        '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
        '@opentelemetry/instrumentation-ioredis': { requireParentSpan: true },
        '@opentelemetry/instrumentation-mongodb': { requireParentSpan: true },
      }),
    ],
  });
  sdk.start();
  // A service's bundle (tools/bundle-service.mjs) then runs its unbundled main.js: the
  // instrumentations patch packages as they are required from node_modules.
  (globalThis as Record<symbol, unknown>)[Symbol.for('aether.tracing.started')] = true;
  const stop = () => void sdk.shutdown().catch(() => undefined);
  process.once('beforeExit', stop);
}
export {};
