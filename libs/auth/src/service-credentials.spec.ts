import { ServiceTokenProvider, type IssuedServiceToken } from './service-credentials';

/** A fetcher that counts calls and answers tokens t1, t2, ... after an optional gate. */
function countingFetcher(expiresIn = 300) {
  const state = { calls: 0, gate: undefined as Promise<void> | undefined, fail: false };
  const fetch = async (): Promise<IssuedServiceToken> => {
    state.calls++;
    const n = state.calls;
    if (state.gate) await state.gate;
    if (state.fail) throw new Error('security unavailable');
    return { accessToken: `t${n}`, expiresIn };
  };
  return { state, fetch };
}

describe('ServiceTokenProvider', () => {
  it('fetches once and reuses the token while it is fresh', async () => {
    let now = 1_000_000;
    const { state, fetch } = countingFetcher(300);
    const provider = new ServiceTokenProvider(fetch, { refreshMarginSeconds: 60, now: () => now });
    expect(await provider.token()).toBe('t1');
    now += 239_000; // 61 s before expiry: still fresh
    expect(await provider.token()).toBe('t1');
    expect(state.calls).toBe(1);
  });

  it('renews the token refreshMarginSeconds before it expires', async () => {
    let now = 1_000_000;
    const { state, fetch } = countingFetcher(300);
    const provider = new ServiceTokenProvider(fetch, { refreshMarginSeconds: 60, now: () => now });
    await provider.token();
    now += 240_000; // exactly 60 s before expiry
    expect(await provider.token()).toBe('t2');
    expect(state.calls).toBe(2);
  });

  it('caps the margin at half the lifetime (a short-lived token is still reused)', async () => {
    let now = 0;
    const { state, fetch } = countingFetcher(30);
    const provider = new ServiceTokenProvider(fetch, { refreshMarginSeconds: 60, now: () => now });
    await provider.token();
    now = 14_000;
    expect(await provider.token()).toBe('t1');
    now = 15_000;
    expect(await provider.token()).toBe('t2');
    expect(state.calls).toBe(2);
  });

  it('shares one fetch among concurrent callers (single flight)', async () => {
    const { state, fetch } = countingFetcher();
    let open!: () => void;
    state.gate = new Promise((r) => (open = r));
    const provider = new ServiceTokenProvider(fetch);
    const waiting = Array.from({ length: 20 }, () => provider.token());
    open();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['t1']));
    expect(state.calls).toBe(1);
  });

  it('does not cache a failure: the next call fetches again', async () => {
    const { state, fetch } = countingFetcher();
    state.fail = true;
    const provider = new ServiceTokenProvider(fetch);
    await expect(Promise.all([provider.token(), provider.token()])).rejects.toThrow('security unavailable');
    expect(state.calls).toBe(1);
    state.fail = false;
    expect(await provider.token()).toBe('t2');
  });

  it('invalidate() forces a new token; metadata() carries it as a bearer token', async () => {
    const { fetch } = countingFetcher();
    const provider = new ServiceTokenProvider(fetch);
    expect((await provider.metadata()).get('authorization')).toEqual(['Bearer t1']);
    provider.invalidate();
    expect((await provider.metadata()).get('authorization')).toEqual(['Bearer t2']);
  });

  it('refuses an answer without a token or lifetime', async () => {
    const provider = new ServiceTokenProvider(async () => ({ accessToken: '', expiresIn: 0 }));
    await expect(provider.token()).rejects.toThrow('no usable service token');
  });
});
