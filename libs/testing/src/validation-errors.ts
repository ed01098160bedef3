import { ValidationError, type FieldViolation } from '@aether/service-kit';

/**
 * The field violations `fn` throws (synchronously) as a ValidationError; fails the test when it
 * throws anything else or nothing.
 */
export function violationsOf(fn: () => unknown): FieldViolation[] {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  return expectValidationError(thrown);
}

/** The field violations `promise` rejects with as a ValidationError (see violationsOf). */
export async function rejectionViolationsOf(promise: Promise<unknown>): Promise<FieldViolation[]> {
  return expectValidationError(await promise.then(() => undefined, (e: unknown) => e));
}

function expectValidationError(thrown: unknown): FieldViolation[] {
  if (!(thrown instanceof ValidationError)) {
    throw new Error(`expected a ValidationError, got ${thrown === undefined ? 'no error' : String((thrown as Error)?.stack ?? thrown)}`);
  }
  return thrown.violations;
}
