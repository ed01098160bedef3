import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { ValidateIf } from 'class-validator';
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
    const field = parent ? `${parent}.${e.property}` : e.property;
    const constraints = Object.entries(e.constraints ?? {});
    for (const [constraint, raw] of constraints) {
      let message: string;
      if (constraint === UNKNOWN_FIELD_CONSTRAINT) message = 'is not a known field';
      else if (e.value === undefined || e.value === null) message = 'is required';
      else message = raw.startsWith(`${e.property} `) ? raw.slice(e.property.length + 1) : raw;
      out.push({ field, message });
    }
    if (e.children?.length) out.push(...toFieldViolations(e.children, field));
  }
  return out;
}

const notAnObject = () =>
  new ValidationError('The request is not valid', [{ field: '(body)', message: 'must be a JSON object' }]);

/**
 * The app-wide pipe: DTOs are strict (unknown fields are a 400 naming them) and transformed.
 * One message per field (the first rule broken), so a missing value says "is required".
 * Values are never echoed back (they may be passwords).
 *
 * class-validator checks a property's decorators bottom-up, so DTOs put the type check nearest
 * the property (`@MaxLength(100) @IsString() name`): a number is "must be a string", not "too long".
 */
export class GatewayValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) =>
        new ValidationError('The request is not valid', toFieldViolations(errors as ClassValidatorError[])),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A JSON body that is an array, string or number can never match a DTO class.
    if (metadata.type === 'body' && value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      if (metadata.metatype && this.toValidate(metadata)) throw notAnObject();
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new GatewayValidationPipe();
}

/** Validate a field when it is present, even as null; skip it when absent (PATCH-style bodies). */
export const IfPresent = () => ValidateIf((_o, v) => v !== undefined);
