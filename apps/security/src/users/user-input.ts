import type { FieldViolation } from '@aether/service-kit';
import { ValidationError } from '@aether/service-kit';
import { isEmail } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 10;
// argon2 hashes any length, but an unbounded password is a cheap way to burn CPU.
export const PASSWORD_MAX_LENGTH = 1024;
export const NAME_MAX_LENGTH = 200;
const EMAIL_MAX_LENGTH = 254;

/** Emails compare case-insensitively: store and look them up trimmed and lower-cased. */
export function normaliseEmail(email: string | undefined | null): string {
  return (email ?? '').trim().toLowerCase();
}

export interface RegistrationInput {
  email: string;
  password: string;
  name: string;
}

/** Checks a registration and returns it normalised; throws one ValidationError naming every bad field. */
export function validateRegistration(input: Partial<RegistrationInput>): RegistrationInput {
  const violations: FieldViolation[] = [];
  const email = normaliseEmail(input.email);
  const password = input.password ?? '';
  const name = (input.name ?? '').trim();

  if (!email) violations.push({ field: 'email', message: 'is required' });
  else if (email.length > EMAIL_MAX_LENGTH || !isEmail(email)) {
    violations.push({ field: 'email', message: 'must be a valid email address' });
  }
  if (password.length < PASSWORD_MIN_LENGTH) {
    violations.push({ field: 'password', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` });
  } else if (password.length > PASSWORD_MAX_LENGTH) {
    violations.push({ field: 'password', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` });
  }
  if (!name) violations.push({ field: 'name', message: 'is required' });
  else if (name.length > NAME_MAX_LENGTH) {
    violations.push({ field: 'name', message: `must be at most ${NAME_MAX_LENGTH} characters` });
  }

  if (violations.length) throw new ValidationError('Invalid registration', violations);
  return { email, password, name };
}
