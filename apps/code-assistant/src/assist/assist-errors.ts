import { status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, PermissionDeniedError, RateLimitedError, UnavailableError, ValidationError } from '@aether/service-kit';
import { ModelUnavailable } from '../llm/model-client';

/**
 * The model's code still did not parse (or type-check) after one retry. No gRPC status means 422:
 * FAILED_PRECONDITION carries the stable code and the gateway's code routes answer it as 422.
 */
export class GeneratedCodeInvalidError extends DomainError {
  readonly grpcStatus = GrpcStatus.FAILED_PRECONDITION;
  constructor(message: string) {
    super('GENERATED_CODE_INVALID', message);
  }
}

/** ai-gateway's failure in this service's terms (its budget and rate limits pass through). */
export function modelError(err: unknown): Error {
  if (err instanceof DomainError) return err;
  if (!(err instanceof ModelUnavailable)) return new UnavailableError('The model is unavailable');
  switch (err.grpcCode) {
    case GrpcStatus.NOT_FOUND:
    case GrpcStatus.INVALID_ARGUMENT:
      return new ValidationError('The model is not available', [{ field: 'model', message: 'CODE_ASSISTANT_MODEL is not a chat model or alias of ai-gateway' }]);
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new RateLimitedError('The model budget or rate limit is used up', err.retryAfterSeconds, err.code);
    case GrpcStatus.PERMISSION_DENIED:
      return new PermissionDeniedError('You may not use the model', err.code);
    case undefined:
      return new UnavailableError(`No model is available: ${err.message}`, 'MODEL_NOT_CONFIGURED');
    default:
      return new UnavailableError('The model is unavailable');
  }
}
