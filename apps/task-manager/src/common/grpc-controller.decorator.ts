import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { GrpcAuthGuard } from '@aether/auth';

/**
 * A gRPC controller of task-manager: every call is authenticated by GrpcAuthGuard (and checked
 * against @RequirePermissions). Bound per controller, not as APP_GUARD, because the kit gives the
 * gRPC server its own application config, which app-level enhancers do not reach.
 */
export const GrpcApiController = () => applyDecorators(Controller(), UseGuards(GrpcAuthGuard));
