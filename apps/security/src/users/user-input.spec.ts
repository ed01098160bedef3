import { violationsOf } from '@aether/testing';
import { normaliseEmail, validateLogin, validateRegistration } from './user-input';

describe('registration input', () => {
  it('normalises the email (trim + lower case) and keeps the name exactly as sent', () => {
    expect(validateRegistration({ email: '  Ada@Example.COM ', password: 'correct horse', name: ' Ada\ufeff' })).toEqual({
      email: 'ada@example.com',
      password: 'correct horse',
      name: ' Ada\ufeff',
    });
    expect(violationsOf(() => validateRegistration({ email: 'a@b.co', password: 'correct horse', name: ' \ufeff\u00a0' }))).toEqual([{ field: 'name', message: 'is required' }]);
    expect(normaliseEmail(' X@Y.Z')).toBe('x@y.z');
  });

  it('names every bad field at once', () => {
    const v = violationsOf(() => validateRegistration({ email: 'not-an-email', password: 'short', name: '  ' }));
    expect(v.map((x) => x.field).sort()).toEqual(['email', 'name', 'password']);
  });

  it('requires at least 10 password characters (10 is enough)', () => {
    expect(violationsOf(() => validateRegistration({ email: 'a@b.io', password: '123456789', name: 'A' }))).toEqual([
      { field: 'password', message: 'must be at least 10 characters' },
    ]);
    expect(validateRegistration({ email: 'a@b.io', password: '1234567890', name: 'A' }).password).toBe('1234567890');
  });

  it('rejects missing fields and absurdly long passwords', () => {
    expect(violationsOf(() => validateRegistration({})).map((x) => x.field)).toEqual(['email', 'password', 'name']);
    const v = violationsOf(() => validateRegistration({ email: 'a@b.io', password: 'x'.repeat(2000), name: 'A' }));
    expect(v[0].field).toBe('password');
  });

  it('refuses a name PostgreSQL cannot hold (NUL would fail the insert with 22021) or that is not well-formed', () => {
    expect(violationsOf(() => validateRegistration({ email: 'a@b.io', password: '1234567890', name: 'Ada\u0000' }))).toEqual([
      { field: 'name', message: 'must not contain NUL (\\u0000) characters' },
    ]);
    expect(violationsOf(() => validateRegistration({ email: 'a@b.io', password: '1234567890', name: 'A\udc00da' }))[0].field).toBe('name');
  });

  it('answers a lone surrogate or NUL in the email with a violation, never an exception (isEmail throws URIError)', () => {
    for (const email of ['x\ud800y@example.com', 'x\ud800y', 'a\u0000@b.io']) {
      expect(violationsOf(() => validateRegistration({ email, password: '1234567890', name: 'A' }))).toEqual([
        { field: 'email', message: 'must be a valid email address' },
      ]);
      expect(violationsOf(() => validateLogin({ email, password: 'whatever' }))).toEqual([
        { field: 'email', message: 'must be a valid email address' },
      ]);
    }
  });

  it('counts name and password length in characters (code points), not UTF-16 units', () => {
    expect(validateRegistration({ email: 'a@b.io', password: '😀'.repeat(10), name: '😀'.repeat(200) }).name).toBe('😀'.repeat(200));
    expect(violationsOf(() => validateRegistration({ email: 'a@b.io', password: '😀'.repeat(9), name: '😀'.repeat(201) }))).toEqual([
      { field: 'password', message: 'must be at least 10 characters' },
      { field: 'name', message: 'must be at most 200 characters' },
    ]);
  });

  it('login needs an email and a password (the shape only; credentials are checked later)', () => {
    expect(validateLogin({ email: ' Ada@Example.com ', password: 'x' })).toEqual({ email: 'ada@example.com', password: 'x' });
    expect(violationsOf(() => validateLogin({})).map((x) => x.field)).toEqual(['email', 'password']);
  });
});
