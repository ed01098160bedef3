import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus registry (one per app instance, not prom-client's global one, so
 * several apps can live in one test process) with RED metrics for HTTP routes and RPCs.
 * Other libs (messaging) register their consumer metrics on `registry`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly rpcDuration: Histogram<'service' | 'method' | 'code'>;
  readonly rpcClientDuration: Histogram<'target' | 'method' | 'code'>;

  constructor(serviceName: string) {
    this.registry.setDefaultLabels({ service: serviceName });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = this.histogram(
      'http_server_request_duration_seconds',
      'HTTP requests handled, by route and status (rate, errors, duration)',
      ['method', 'route', 'status_code'],
    );
    this.rpcDuration = this.histogram(
      'grpc_server_handling_seconds',
      'gRPC calls handled, by method and status code',
      ['service', 'method', 'code'],
    );
    this.rpcClientDuration = this.histogram(
      'grpc_client_handling_seconds',
      'Outgoing gRPC calls, by target, method and status code',
      ['target', 'method', 'code'],
    );
  }

  histogram<L extends string>(name: string, help: string, labelNames: L[], buckets = LATENCY_BUCKETS): Histogram<L> {
    const existing = this.registry.getSingleMetric(name) as Histogram<L> | undefined;
    return existing ?? new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    const existing = this.registry.getSingleMetric(name) as Counter<L> | undefined;
    return existing ?? new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
