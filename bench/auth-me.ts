/**
 * Gateway throughput for GET /api/v1/auth/me (JWT verification, rate limiting on Redis, gRPC to
 * security which verifies the token again and reads the user). Closed-loop autocannon, 10 s.
 */
import autocannon from 'autocannon';
import { adminAccessToken, machineLine, startPlatform, writeResult } from './support/platform';

async function main() {
  const platform = await startPlatform(['security', 'api-gateway'], {
    // Limits stay on (every request is counted in Redis) but high enough not to reject the bench.
    'api-gateway': { RATE_LIMIT_DEFAULT_POINTS: '100000000', RATE_LIMIT_DEFAULT_WINDOW_SECONDS: '60' },
  });
  try {
    const gw = platform.urls['api-gateway']!;
    const accessToken = await adminAccessToken(platform);
    const headers = { authorization: `Bearer ${accessToken}` };
    await autocannon({ url: `${gw}/api/v1/auth/me`, headers, connections: 20, duration: 2 }); // warm-up
    const result = await autocannon({ url: `${gw}/api/v1/auth/me`, headers, connections: 50, duration: 10 });
    const non2xx = result.non2xx + result.errors;
    await writeResult(
      'auth-me',
      `### Gateway: GET /api/v1/auth/me (JWT + rate limit + gRPC to security)

Machine: ${machineLine()}; autocannon, 50 connections, 10 s, services at LOG_LEVEL=warn.

| requests/s (mean) | p50 latency (ms) | p99 latency (ms) | non-2xx + errors |
| ---: | ---: | ---: | ---: |
| ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ${non2xx} |`,
    );
  } finally {
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
