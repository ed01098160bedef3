import { GrpcAuthGuard } from '@aether/auth';
import { applyDecorators, Controller, UseGuards } from '@nestjs/common';

/**
 * Every gRPC controller of this service: authenticated by GrpcAuthGuard unless a handler is
 * @Public(). Bound here (not as APP_GUARD) because the kit gives the gRPC server its own
 * application config, which app-level enhancers do not reach.
 */
export const SecurityGrpcController = () => applyDecorators(Controller(), UseGuards(GrpcAuthGuard));
