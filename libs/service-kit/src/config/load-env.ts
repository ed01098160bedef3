import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, ValidationError as ClassValidationError, validateSync } from 'class-validator';

/** Raised when the environment does not hold a valid configuration; lists every bad variable. */
export class EnvValidationError extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.reason}`).join('\n')}`,
    );
    this.name = 'EnvValidationError';
  }
}

function flatten(errors: ClassValidationError[]): { variable: string; reason: string }[] {
  return errors.map((e) => ({
    variable: e.property,
    reason:
      e.value === undefined || e.value === ''
        ? `is missing (${Object.values(e.constraints ?? {}).join('; ')})`
        : Object.values(e.constraints ?? {}).join('; '),
  }));
}

/**
 * Validates `source` (process.env by default) into an instance of `envClass`. Unset and empty
 * variables keep the class defaults. Only declared variables are kept on the instance, and values
 * are never echoed back in errors (they may be secrets).
 */
export function loadEnv<T extends object>(envClass: new () => T, source: NodeJS.ProcessEnv = process.env): T {
  const declared = declaredVariables(envClass);
  const plain: Record<string, string> = {};
  for (const key of declared) {
    const value = source[key];
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const instance = plainToInstance(envClass, plain, { exposeDefaultValues: true });
  const errors = validateSync(instance as object, { forbidUnknownValues: false });
  if (errors.length) throw new EnvValidationError(flatten(errors));
  return instance;
}

/** Variables a class declares: fields with defaults plus fields with validation decorators. */
function declaredVariables(envClass: new () => object): Set<string> {
  const names = new Set(Object.keys(new envClass()));
  for (const m of getMetadataStorage().getTargetValidationMetadatas(envClass, '', true, false)) names.add(m.propertyName);
  return names;
}
