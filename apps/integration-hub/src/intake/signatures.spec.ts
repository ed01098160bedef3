// Each verifier against the platform's own published example, then against tampering.
import { verifyDiscordSignature, verifyEd25519, verifyGithubSignature, verifySlackSignature } from './signatures';

describe('GitHub X-Hub-Signature-256', () => {
  // docs.github.com, "Validating webhook deliveries" → "Testing the webhook payload validation".
  const secret = "It's a Secret to Everybody";
  const body = Buffer.from('Hello, World!');
  const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it('accepts the documented example', () => {
    expect(verifyGithubSignature(secret, body, signature)).toBe(true);
  });

  it('refuses a tampered body, another secret, a missing, truncated or unprefixed signature', () => {
    expect(verifyGithubSignature(secret, Buffer.from('Hello, World?'), signature)).toBe(false);
    expect(verifyGithubSignature('another secret', body, signature)).toBe(false);
    expect(verifyGithubSignature(secret, body, undefined)).toBe(false);
    expect(verifyGithubSignature(secret, body, signature.slice(0, -2))).toBe(false);
    expect(verifyGithubSignature(secret, body, signature.slice('sha256='.length))).toBe(false);
    expect(verifyGithubSignature(secret, body, 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d')).toBe(false);
  });
});

describe('Slack v0 signing', () => {
  // api.slack.com/authentication/verifying-requests-from-slack, the worked example.
  const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5';
  const timestamp = '1531420618';
  const body = Buffer.from(
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  );
  const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const at = (secondsAfter: number) => new Date((Number(timestamp) + secondsAfter) * 1000);

  it('accepts the documented example within the 5-minute window', () => {
    expect(verifySlackSignature(signingSecret, body, timestamp, signature, at(0), 300)).toBe(true);
    expect(verifySlackSignature(signingSecret, body, timestamp, signature, at(299), 300)).toBe(true);
    expect(verifySlackSignature(signingSecret, body, timestamp, signature, at(-299), 300)).toBe(true);
  });

  it('refuses it outside the window (a replay), and when tampered or unsigned', () => {
    expect(verifySlackSignature(signingSecret, body, timestamp, signature, at(301), 300)).toBe(false);
    expect(verifySlackSignature(signingSecret, body, timestamp, signature, at(-301), 300)).toBe(false);
    expect(verifySlackSignature(signingSecret, Buffer.concat([body, Buffer.from('x')]), timestamp, signature, at(0), 300)).toBe(false);
    // The timestamp is signed too: moving it into the window breaks the signature.
    expect(verifySlackSignature(signingSecret, body, String(Number(timestamp) + 400), signature, at(400), 300)).toBe(false);
    expect(verifySlackSignature(signingSecret, body, undefined, signature, at(0), 300)).toBe(false);
    expect(verifySlackSignature(signingSecret, body, timestamp, undefined, at(0), 300)).toBe(false);
    expect(verifySlackSignature(signingSecret, body, 'soon', signature, at(0), 300)).toBe(false);
  });
});

describe('Ed25519 (RFC 8032 section 7.1) and Discord interactions', () => {
  const test1 = {
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: Buffer.alloc(0),
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  };
  const test2 = {
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: Buffer.from('72', 'hex'),
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  };

  it('accepts TEST 1 and TEST 2', () => {
    expect(verifyEd25519(test1.publicKey, test1.message, test1.signature)).toBe(true);
    expect(verifyEd25519(test2.publicKey, test2.message, test2.signature)).toBe(true);
  });

  it('refuses a changed message, the other key, a flipped signature bit and malformed hex', () => {
    expect(verifyEd25519(test2.publicKey, Buffer.from('73', 'hex'), test2.signature)).toBe(false);
    expect(verifyEd25519(test1.publicKey, test2.message, test2.signature)).toBe(false);
    const flipped = (parseInt(test2.signature[0], 16) ^ 1).toString(16) + test2.signature.slice(1);
    expect(verifyEd25519(test2.publicKey, test2.message, flipped)).toBe(false);
    expect(verifyEd25519(test2.publicKey, test2.message, 'zz')).toBe(false);
    expect(verifyEd25519('not-a-key', test2.message, test2.signature)).toBe(false);
  });

  it("checks Discord's form: Ed25519 over X-Signature-Timestamp + body, within the window", () => {
    // The RFC vectors carry no timestamp, so Discord's framing is checked with a key of our own.
    const { generateKeyPairSync, sign } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const publicHex = Buffer.from(raw, 'base64url').toString('hex');
    const now = new Date();
    const ts = String(Math.floor(now.getTime() / 1000));
    const body = Buffer.from('{"type":1}');
    const sig = sign(null, Buffer.concat([Buffer.from(ts), body]), privateKey).toString('hex');
    expect(verifyDiscordSignature(publicHex, body, ts, sig, now, 300)).toBe(true);
    expect(verifyDiscordSignature(publicHex, Buffer.from('{"type":2}'), ts, sig, now, 300)).toBe(false);
    expect(verifyDiscordSignature(publicHex, body, String(Number(ts) + 1), sig, now, 300)).toBe(false);
    expect(verifyDiscordSignature(publicHex, body, ts, sig, new Date(now.getTime() + 301_000), 300)).toBe(false);
    expect(verifyDiscordSignature(publicHex, body, undefined, sig, now, 300)).toBe(false);
  });
});
