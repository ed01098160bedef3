import { SecretBox } from './secret-box';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('SecretBox (AES-256-GCM under a key ring)', () => {
  it('seals under the first key; any key of the ring opens, so keys rotate', () => {
    const old = new SecretBox(`k1:${key(1)}`);
    const sealed = old.seal('{"botToken":"xoxb-secret"}', 'conn-1');
    expect(sealed.keyId).toBe('k1');
    expect(sealed.box).not.toContain('xoxb');
    const rotated = new SecretBox(`k2:${key(2)}, k1:${key(1)}`);
    expect(rotated.activeKeyId).toBe('k2');
    expect(rotated.open(sealed, 'conn-1')).toBe('{"botToken":"xoxb-secret"}');
    expect(rotated.seal('x', 'conn-1').keyId).toBe('k2');
    expect(() => new SecretBox(`k2:${key(2)}`).open(sealed, 'conn-1')).toThrow(/not in INTEGRATION_HUB_SECRET_KEYS/);
  });

  it('never opens a box altered, or moved to another owner', () => {
    const box = new SecretBox(`k1:${key(1)}`);
    const sealed = box.seal('secret', 'conn-1');
    expect(() => box.open(sealed, 'conn-2')).toThrow();
    const raw = Buffer.from(sealed.box, 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open({ ...sealed, box: raw.toString('base64') }, 'conn-1')).toThrow();
    // A fresh IV each time: the same secret never seals to the same box.
    expect(box.seal('secret', 'conn-1').box).not.toBe(sealed.box);
  });

  it('refuses a ring with a short key or a repeated id', () => {
    expect(() => new SecretBox(`k1:${Buffer.alloc(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => new SecretBox(`k1:${key(1)},k1:${key(2)}`)).toThrow(/twice/);
  });
});
