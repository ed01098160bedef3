import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, REQUIRED_PERMISSIONS_KEY } from './decorators';

export function isPublicHandler(reflector: Reflector, ctx: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [ctx.getHandler(), ctx.getClass()]) ===
    true
  );
}

export function requiredPermissions(reflector: Reflector, ctx: ExecutionContext): string[] {
  return reflector.getAllAndMerge<string[]>(REQUIRED_PERMISSIONS_KEY, [ctx.getHandler(), ctx.getClass()]) ?? [];
}
