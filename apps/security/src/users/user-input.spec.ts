import { ValidationError } from '@aether/service-kit';
import { normaliseEmail, validateRegistration } from './user-input';

function violationsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).violations;
  }
  throw new Error('expected a ValidationError');
}

describe('registration input', () => {
  it('normalises the email (trim + lower case) and the name', () => {
    expect(validateRegistration({ email: '  Ada@Example.COM ', password: 'correct horse', name: ' Ada ' })).toEqual({
      email: 'ada@example.com',
      password: 'correct horse',
      name: 'Ada',
    });
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
});
