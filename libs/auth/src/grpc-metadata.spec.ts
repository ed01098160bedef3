import { Metadata } from '@grpc/grpc-js';
import { clientContextFrom, forwardedCallMetadata, normaliseUserAgent } from './grpc-metadata';

const md = (entries: Record<string, string>) => {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
};

describe('clientContextFrom', () => {
  it('reads the client IP and user agent the gateway sends', () => {
    expect(clientContextFrom(md({ 'x-client-ip': '203.0.113.7', 'x-user-agent': 'curl/8.5' }))).toEqual({ ip: '203.0.113.7', userAgent: 'curl/8.5' });
    expect(clientContextFrom(md({ 'x-client-ip': '2001:db8::1' })).ip).toBe('2001:db8::1');
  });

  it('prefers the metadata over the legacy request fields, which remain the fallback', () => {
    expect(clientContextFrom(md({ 'x-client-ip': '203.0.113.7' }), { ip: '198.51.100.1', userAgent: 'old' })).toEqual({
      ip: '203.0.113.7',
      userAgent: 'old',
    });
    expect(clientContextFrom(md({}), { ip: '198.51.100.1' })).toEqual({ ip: '198.51.100.1', userAgent: undefined });
    expect(clientContextFrom(undefined)).toEqual({ ip: undefined, userAgent: undefined });
  });

  it('keeps only well-formed addresses and bounded user agents', () => {
    expect(clientContextFrom(md({ 'x-client-ip': "1.2.3.4'; DROP TABLE" })).ip).toBeUndefined();
    expect(clientContextFrom(md({ 'x-user-agent': 'x'.repeat(2000) })).userAgent).toHaveLength(512);
  });
});

describe('normaliseUserAgent', () => {
  it('keeps printable ASCII only (gRPC metadata rules) and says undefined for nothing left', () => {
    expect(normaliseUserAgent('  Mozilla/5.0 (X11) é\u0000\n ')).toBe('Mozilla/5.0 (X11)');
    expect(normaliseUserAgent('\u00e9\u00e8')).toBeUndefined();
    expect(normaliseUserAgent(undefined)).toBeUndefined();
  });
});

describe('forwardedCallMetadata', () => {
  it('forwards the caller and the request id, nothing else of the incoming call', () => {
    const forwarded = forwardedCallMetadata(md({ authorization: 'Bearer t', 'x-request-id': 'r-1', 'x-client-ip': '203.0.113.7', cookie: 'c' }));
    expect(forwarded.getMap()).toEqual({ authorization: 'Bearer t', 'x-request-id': 'r-1' });
  });
});
