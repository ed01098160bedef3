import { isEmail, ValidateBy, type ValidationOptions } from 'class-validator';
import { charLength, isWellFormedText } from './text';

export const EMAIL_MAX_LENGTH = 254;

/**
 * An email address as accounts use them. validator.js's isEmail throws a URIError on a lone
 * surrogate (it measures bytes with encodeURI), so the text is checked for well-formedness first:
 * any input is a yes or a no, never an exception.
 */
export function isEmailAddress(value: unknown): value is string {
  return (
    typeof value === 'string' && isWellFormedText(value) && !value.includes('\u0000') &&
    charLength(value) <= EMAIL_MAX_LENGTH && isEmail(value)
  );
}

/** class-validator decorator of isEmailAddress (edge DTOs): `@IsEmailAddress({ message: '…' })`. */
export function IsEmailAddress(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isEmailAddress', validator: { validate: (value) => isEmailAddress(value), defaultMessage: () => '$property must be an email address' } }, validationOptions);
}
