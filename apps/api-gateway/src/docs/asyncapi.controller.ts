import { ASYNCAPI_DOCUMENT } from '@aether/contracts';
import { Public } from '@aether/auth';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** Generated once at build time from the event protos; serialised once, on first use. */
let body: string | undefined;

/**
 * The AsyncAPI 3.0 document of every platform event (routing keys on aether.events, CloudEvents
 * envelope, payload schemas), generated from proto/aether/<app>/v1/events.proto, so subscribers
 * know every routing key and payload without reading code. Next to /docs/openapi.json, and like
 * it outside the OpenAPI document itself.
 */
@ApiExcludeController()
@Controller('docs')
export class AsyncApiController {
  @Get('asyncapi.json')
  @Public()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  asyncApi(): string {
    body ??= JSON.stringify(ASYNCAPI_DOCUMENT);
    return body;
  }
}
