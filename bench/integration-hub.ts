/**
 * integration-hub: (1) signed GitHub webhook intake through the gateway (raw body → gRPC → verify,
 * de-duplicate, store + outbox in one transaction), closed-loop autocannon, every request a new
 * delivery id; (2) webhook → event → rule → signed outbound delivery to a local receiver:
 * end-to-end latency per delivery and the drain rate of what the intake produced.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { adminAccessToken, machineLine, startPlatform, writeResult } from './support/platform';

const WEBHOOK_SECRET = 'bench-webhook-secret';

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function main() {
  // The receiver: records when each delivery arrives, against the time its webhook was sent.
  const latencies: number[] = [];
  let received = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { data: { event: { payloadJson: string } } };
        const sentAt = (JSON.parse(body.data.event.payloadJson) as { sentAt: number }).sentAt;
        latencies.push(Date.now() - sentAt);
      } catch {
        /* not one of ours */
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const platform = await startPlatform(['security', 'integration-hub', 'api-gateway'], {
    'integration-hub': { INTEGRATION_HUB_SECRET_KEYS: `bench:${Buffer.alloc(32, 3).toString('base64')}`, OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' },
    'api-gateway': { RATE_LIMIT_ANON_POINTS: '100000000', RATE_LIMIT_DEFAULT_POINTS: '100000000' },
  });
  try {
    const gw = platform.urls['api-gateway']!;
    const accessToken = await adminAccessToken(platform);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${gw}${path}`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    const github = await post('/api/v1/integrations', { kind: 'github', name: 'bench', secrets: { webhookSecret: WEBHOOK_SECRET } });
    const target = await post('/api/v1/integrations', { kind: 'webhook', name: 'receiver', config: { url: receiverUrl } });
    await post('/api/v1/integrations/rules', { name: 'push → receiver', on: 'integration-hub.github.push', action: { connectionId: target.id, kind: 'webhook' } });

    const url = `${gw}/api/v1/webhooks/github/${github.id}`;
    const signed = () => {
      const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/api' }, sender: { login: 'octocat' }, sentAt: Date.now() });
      return {
        method: 'POST' as const,
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
      };
    };
    const intake = await autocannon({ url, connections: 20, duration: 10, requests: [{ setupRequest: (req) => ({ ...req, ...signed() }) }] });
    const accepted = intake['2xx'];
    const drainStart = Date.now();
    while (received < accepted && Date.now() - drainStart < 120_000) await new Promise((r) => setTimeout(r, 100));
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);

    // Unloaded: one webhook at a time, the latency a single event sees from webhook to receiver.
    latencies.length = 0;
    const before = received;
    for (let i = 0; i < 100; i++) {
      const r = signed();
      await fetch(url, { method: 'POST', headers: r.headers, body: r.body });
      await new Promise((res) => setTimeout(res, 20));
    }
    while (received < before + 100 && Date.now() - drainStart < 180_000) await new Promise((r) => setTimeout(r, 50));
    const quiet = [...latencies].sort((a, b) => a - b);

    await writeResult(
      'integration-hub',
      `### integration-hub: webhook intake and webhook → delivery

Machine: ${machineLine()}; services at LOG_LEVEL=warn; delivery defaults (4 in flight per connection).

| signed GitHub webhooks/s through the gateway (20 connections, 10 s) | p50 / p99 answer (ms) | non-2xx + errors |
| ---: | ---: | ---: |
| ${Math.round(intake.requests.average)} | ${intake.latency.p50} / ${intake.latency.p99} | ${intake.non2xx + intake.errors} |

| deliveries made | delivered | webhook → receiver p50 / p99 (ms, includes queueing behind the burst) | drain after the burst (s) |
| ---: | ---: | ---: | ---: |
| ${accepted} | ${accepted <= received ? accepted : received} | ${percentile(sorted, 50)} / ${percentile(sorted, 99)} | ${drainSeconds.toFixed(1)} |

| one webhook at a time (100): webhook → receiver p50 / p99 (ms) |
| ---: |
| ${percentile(quiet, 50)} / ${percentile(quiet, 99)} |`,
    );
  } finally {
    await platform.stop();
    receiver.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
