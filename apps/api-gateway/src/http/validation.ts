import { ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { FieldViolation, ValidationError } from '@aether/service-kit';

/** class-validator's message for a field not declared on the DTO (forbidNonWhitelisted). */
const UNKNOWN_FIELD_CONSTRAINT = 'whitelistValidation';

/**
 * class-validator errors → `{field, message}` with dotted paths (`task.title`, `labels.0`).
 * Messages drop the leading property name class-validator repeats ("email must be an email").
 */
export function toFieldViolations(errors: ClassValidatorError[], parent = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const e of errors) {
    const field = e.property === undefined || e.property === '' ? parent : parent ? `${parent}.${e.property}` : e.property;
    for (const [constraint, raw] of Object.entries(e.constraints ?? {})) {
      let message: string;
      if (constraint === UNKNOWN_FIELD_CONSTRAINT) message = 'is not a known field';
      else if (constraint === 'unknownValue') message = 'must be a JSON object';
      else message = raw.startsWith(`${e.property} `) ? raw.slice(e.property.length + 1) : raw;
      out.push({ field: field || '(body)', message });
    }
    if (e.children?.length) out.push(...toFieldViolations(e.children, field));
  }
  return out;
}

/** The app-wide pipe: DTOs are strict (unknown fields are a 400 naming them) and transformed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    // One message per field: the first rule it breaks ("is missing" rather than five complaints).
    stopAtFirstError: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new ValidationError('The request is not valid', toFieldViolations(errors as ClassValidatorError[])),
  });
}
