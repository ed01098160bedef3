import { Logger, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { GrpcMethodStreamingType, RpcException, ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import { PARAM_ARGS_METADATA } from '@nestjs/microservices/constants';
import { ListenerMetadataExplorer } from '@nestjs/microservices/listener-metadata-explorer';
import type { Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { isObservable, firstValueFrom, type Observable } from 'rxjs';
import { nameRpcForMetrics, type RpcMetricLabels } from '../metrics';
import { toGrpcError } from './grpc-exception.filter';

/** Nest's message for a guard that returns false (RpcException → INTERNAL, as through Nest's pipeline). */
const FORBIDDEN_MESSAGE = 'Forbidden resource';

/**
 * The ExecutionContext a direct call gives the auth guard: what Nest's ExecutionContextHost
 * offers for an rpc call (type, class, handler, args, switchToRpc) in one object, without the two
 * closures ExecutionContextHost.switchToRpc() adds to it on every call.
 */
export class RpcCallContext implements ExecutionContext {
  constructor(
    private readonly args: [unknown, Metadata, unknown],
    private readonly classRef: Type<unknown>,
    private readonly handler: (...args: unknown[]) => unknown,
  ) {}
  getType<T extends string = 'rpc'>(): T {
    return 'rpc' as T;
  }
  getClass<T = unknown>(): Type<T> {
    return this.classRef as Type<T>;
  }
  getHandler(): (...args: unknown[]) => unknown {
    return this.handler;
  }
  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as unknown as T;
  }
  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }
  getData<T = unknown>(): T {
    return this.args[0] as T;
  }
  getContext<T = unknown>(): T {
    return this.args[1] as unknown as T;
  }
  switchToRpc(): this {
    return this;
  }
  switchToHttp(): never {
    throw new Error('switchToHttp() on an rpc call');
  }
  switchToWs(): never {
    throw new Error('switchToWs() on an rpc call');
  }
}

/** A unary @GrpcMethod handler the kit calls directly. */
interface DirectHandler {
  instance: object;
  method: (...args: unknown[]) => unknown;
  classRef: Type<unknown>;
  labels: RpcMetricLabels;
}

const isThenable = (x: unknown): x is PromiseLike<unknown> => typeof (x as PromiseLike<unknown> | null)?.then === 'function';

/** The value of a guard or handler result: a promise's, an observable's first, or the value itself. */
function settle<T>(x: T | PromiseLike<T> | Observable<T>): T | PromiseLike<T> {
  return isObservable(x) ? firstValueFrom(x) : x;
}

/**
 * The kit's gRPC server: Nest's ServerGrpc (same options, proto loading, health, reflection,
 * shutdown), except that a unary handler of a static controller with no handler-level enhancers
 * is called directly — the app's GRPC_AUTH_GUARD, the handler, the kit's error mapping — instead of
 * through Nest's rpc pipeline (RpcProxy, RpcContextCreator, GuardsConsumer, the interceptors
 * consumer, rxjs from/mergeMap/of and a copy of the call per request: about fifteen promises and
 * a dozen objects per call, and a third of the service hop's CPU on GET /tasks/{id}, issue 16).
 *
 * What the pipeline did for these handlers is kept: the guard sees the same ExecutionContext
 * (type rpc, class, handler, [request, metadata, call]); a guard returning false is Nest's
 * RpcException('Forbidden resource'); the handler gets (request, metadata, call); a thrown
 * error, rejected promise or errored observable goes through toGrpcError (the kit's global
 * GrpcExceptionFilter does the same for the pipeline). Anything else keeps Nest's pipeline:
 * streaming methods, request-scoped controllers, handlers or controllers with @UseGuards,
 * @UseInterceptors, @UsePipes, @UseFilters or parameter decorators, and every handler when the
 * app has global enhancers besides the kit's own guard and filter or a processing hook is set.
 */
export class KitGrpcServer extends ServerGrpc {
  private readonly errorLogger = new Logger('GrpcExceptionFilter');
  private direct?: Map<unknown, DirectHandler>;
  private customHook = false;

  constructor(
    options: GrpcOptions['options'],
    private readonly modules: () => ModulesContainer,
    private readonly guard: CanActivate,
    /** True when the app has global guards/pipes/interceptors/filters other than the kit's. */
    private readonly otherGlobalEnhancers: () => boolean,
  ) {
    super(options);
  }

  override setOnProcessingStartHook(hook: Parameters<ServerGrpc['setOnProcessingStartHook']>[0]): void {
    this.customHook = true;
    super.setOnProcessingStartHook(hook);
  }

  override createServiceMethod(methodHandler: (...args: unknown[]) => unknown, protoNativeHandler: { requestStream?: boolean; responseStream?: boolean }, streamType: GrpcMethodStreamingType) {
    const direct = !protoNativeHandler.requestStream && !protoNativeHandler.responseStream && streamType === GrpcMethodStreamingType.NO_STREAMING ? this.directHandlers().get(methodHandler) : undefined;
    if (!direct || this.customHook || this.otherGlobalEnhancers()) return super.createServiceMethod(methodHandler as never, protoNativeHandler, streamType);
    return this.unary(direct);
  }

  /** Nest's handler proxy (as registered for a unary pattern) → the handler it wraps, when eligible. */
  private directHandlers(): Map<unknown, DirectHandler> {
    if (this.direct) return this.direct;
    this.direct = new Map();
    const explorer = new ListenerMetadataExplorer(new MetadataScanner());
    for (const moduleRef of this.modules().values()) {
      for (const wrapper of moduleRef.controllers.values()) {
        const instance = wrapper.instance as object | undefined;
        if (!instance || !wrapper.isDependencyTreeStatic()) continue;
        const classRef = instance.constructor as Type<unknown>;
        if (hasEnhancers(classRef)) continue;
        for (const def of explorer.explore(instance)) {
          if (def.isEventHandler || (def.transport !== undefined && def.transport !== this.transportId)) continue;
          const method = (Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => unknown>)[def.methodKey];
          if (hasEnhancers(method) || Reflect.getMetadata(PARAM_ARGS_METADATA, classRef, def.methodKey)) continue;
          for (const pattern of def.patterns) {
            const p = pattern as { service?: string; rpc?: string; streaming?: string };
            if (p?.streaming !== GrpcMethodStreamingType.NO_STREAMING) continue;
            // The key createService looks handlers up by (ServerGrpc.getMessageHandler).
            const proxy = this.messageHandlers.get(this.createPattern(p.service as string, p.rpc as string, p.streaming));
            if (proxy) this.direct.set(proxy, { instance, method, classRef, labels: { service: classRef.name, method: method.name } });
          }
        }
      }
    }
    return this.direct;
  }

  private unary(h: DirectHandler) {
    const { guard, errorLogger: logger } = this;
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      const args: [unknown, Metadata, unknown] = [call.request, call.metadata, call];
      const fail = (err: unknown) => callback(toGrpcError(err, logger) as never);
      try {
        nameRpcForMetrics(call.metadata, h.labels);
        const allowed = settle(guard.canActivate(new RpcCallContext(args, h.classRef, h.method)));
        if (isThenable(allowed)) allowed.then((ok) => run(h, args, ok, callback, fail), fail);
        else run(h, args, allowed, callback, fail);
      } catch (err) {
        fail(err);
      }
    };
  }
}

/** After the guard: the handler, then its value (awaited once more, as Nest does) to the callback. */
function run(h: DirectHandler, args: unknown[], allowed: unknown, callback: sendUnaryData<unknown>, fail: (err: unknown) => void): void {
  try {
    if (!allowed) throw new RpcException(FORBIDDEN_MESSAGE);
    const result = settle(h.method.apply(h.instance, args));
    if (isThenable(result)) result.then((value) => reply(value, callback, fail), fail);
    else reply(result, callback, fail);
  } catch (err) {
    fail(err);
  }
}

function reply(value: unknown, callback: sendUnaryData<unknown>, fail: (err: unknown) => void): void {
  if (isThenable(value)) value.then((v) => callback(null, v), fail);
  else callback(null, value);
}

function hasEnhancers(target: object): boolean {
  return [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA].some((key) => {
    const v = Reflect.getMetadata(key, target) as unknown[] | undefined;
    return Array.isArray(v) && v.length > 0;
  });
}
