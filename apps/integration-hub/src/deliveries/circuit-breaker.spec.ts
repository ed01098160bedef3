import { CircuitBreakers } from './circuit-breaker';

describe('CircuitBreakers', () => {
  it('opens one connection after the threshold, probes once after the cooldown, closes on success', () => {
    let now = 0;
    const breakers = new CircuitBreakers(3, 1000, () => now);
    for (let i = 0; i < 2; i++) breakers.failed('a');
    expect(breakers.allowance('a', 4)).toBe(4);
    breakers.failed('a');
    expect(breakers.allowance('a', 4)).toBe(0);
    expect(breakers.allowance('b', 4)).toBe(4); // others never notice
    now = 1000;
    expect(breakers.allowance('a', 4)).toBe(1); // half-open: one probe
    breakers.failed('a');
    expect(breakers.allowance('a', 4)).toBe(0); // the probe failed: open again
    now = 2000;
    breakers.succeeded('a');
    expect(breakers.allowance('a', 4)).toBe(4);
  });
});
