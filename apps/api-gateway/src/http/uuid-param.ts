import { ParseUUIDPipe } from '@nestjs/common';
import { ValidationError } from '@aether/service-kit';

/** `@Param('id', uuidPipe)`: ids are UUIDs; anything else is a 400 naming the parameter. */
export const uuidPipe = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationError('The id is not valid', [{ field: 'id', message: 'must be a UUID' }]),
});
