import { plainToInstance } from 'class-transformer';
import { ValidationError as ClassValidationError, validateSync } from 'class-validator';

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
 * variables keep the class defaults. Values are never echoed back (they may be secrets).
 */
export function loadEnv<T extends object>(envClass: new () => T, source: NodeJS.ProcessEnv = process.env): T {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') plain[k] = v;
  const instance = plainToInstance(envClass, plain, { exposeDefaultValues: true });
  const errors = validateSync(instance as object, { whitelist: false, forbidUnknownValues: false });
  if (errors.length) throw new EnvValidationError(flatten(errors));
  // Keep only declared fields: the instance is injected everywhere and must not carry unrelated env.
  const declared = new envClass();
  for (const key of Object.keys(instance)) {
    if (!(key in declared) && !Reflect.hasMetadata?.('design:type', envClass.prototype, key)) {
      // class-validator metadata marks declared-without-default fields; keep those.
      if (!hasValidationMetadata(envClass, key)) delete (instance as Record<string, unknown>)[key];
    }
  }
  return instance;
}

function hasValidationMetadata(envClass: Function, key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getMetadataStorage } = require('class-validator') as typeof import('class-validator');
  return getMetadataStorage()
    .getTargetValidationMetadatas(envClass, '', true, false)
    .some((m) => m.propertyName === key);
}
