import { charLength, isEmailAddress, isWellFormedText, Violations } from '@aether/service-kit';

export const PASSWORD_MIN_LENGTH = 10;
// argon2 hashes any length, but an unbounded password is a cheap way to burn CPU.
export const PASSWORD_MAX_LENGTH = 1024;
export const NAME_MAX_LENGTH = 200;

/** Emails compare case-insensitively: store and look them up trimmed and lower-cased. */
export function normaliseEmail(email: string | undefined | null): string {
  return (email ?? '').trim().toLowerCase();
}

export interface RegistrationInput {
  email: string;
  password: string;
  name: string;
}

export interface LoginInput {
  email: string;
  password: string;
}

function checkEmail(v: Violations, email: string): void {
  if (!email) v.add('email', 'is required');
  else if (!isEmailAddress(email)) v.add('email', 'must be a valid email address');
}

/**
 * A password is hashed as UTF-8, so it must be well-formed text (a lone surrogate would hash as
 * U+FFFD, not as what was typed); lengths count characters (code points).
 */
function checkPassword(v: Violations, password: string): void {
  const n = charLength(password);
  if (!isWellFormedText(password)) v.add('password', 'must be well-formed Unicode (no unpaired surrogate \\uD800-\\uDFFF)');
  else if (n < PASSWORD_MIN_LENGTH) v.add('password', `must be at least ${PASSWORD_MIN_LENGTH} characters`);
  else if (n > PASSWORD_MAX_LENGTH) v.add('password', `must be at most ${PASSWORD_MAX_LENGTH} characters`);
}

/** Checks a registration and returns it normalised; throws one ValidationError naming every bad field. */
export function validateRegistration(input: Partial<RegistrationInput>): RegistrationInput {
  const v = new Violations();
  const email = normaliseEmail(input.email);
  const password = input.password ?? '';
  checkEmail(v, email);
  checkPassword(v, password);
  const name = v.requiredText('name', input.name, NAME_MAX_LENGTH);
  v.throwIfAny('Invalid registration');
  return { email, password, name: name! };
}

/**
 * Checks the shape of a login (not the credentials): an email that cannot belong to an account
 * is a 400 before any lookup, so no text a store cannot hold (NUL) reaches one.
 */
export function validateLogin(input: Partial<LoginInput>): LoginInput {
  const v = new Violations();
  const email = normaliseEmail(input.email);
  const password = input.password ?? '';
  checkEmail(v, email);
  if (!password) v.add('password', 'is required');
  else if (charLength(password) > PASSWORD_MAX_LENGTH) v.add('password', `must be at most ${PASSWORD_MAX_LENGTH} characters`);
  v.throwIfAny('Invalid login');
  return { email, password };
}
