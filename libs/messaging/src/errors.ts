import { UnavailableError } from '@aether/service-kit';
/**
 * The broker cannot take the message now (not connected, or no confirm within the timeout).
 * Publishing fails fast instead of buffering; producers that must not lose events use the outbox.
 */
export class MessagingUnavailableError extends UnavailableError {
  constructor(message = 'The message broker is unavailable', options?: { cause?: unknown }) {
    super(message, 'MESSAGING_UNAVAILABLE');
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** A message that is not a valid CloudEvents 1.0 JSON envelope (goes straight to the DLQ). */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/**
 * Thrown by a handler when retrying cannot help (e.g. the payload breaks a domain rule):
 * the message is dead-lettered at once instead of going through the retry queues.
 */
export class DeadLetterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadLetterError';
  }
}
