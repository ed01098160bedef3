import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@aether/auth';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from './console-assets';

/** The page loads only itself: scripts and styles from /admin, data from the admin API. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The migration console: a static page (no build step) that logs in through the auth API and
 * drives /api/v1/admin/routes. The files are public (they hold no data); everything they show
 * needs an administrator's token. Like /docs, outside the OpenAPI document.
 */
@ApiExcludeController()
@Controller('admin')
export class ConsoleController {
  @Get()
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-cache')
  page(): string {
    return CONSOLE_HTML;
  }

  @Get('console.js')
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return CONSOLE_JS;
  }

  @Get('console.css')
  @Public()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  styles(): string {
    return CONSOLE_CSS;
  }
}
