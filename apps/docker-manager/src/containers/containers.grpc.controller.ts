import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import type { dockerManagerV1 } from '@aether/contracts';
import { clientContextFrom, principalFrom, RequirePermissions } from '@aether/auth';
import { Violations } from '@aether/service-kit';
import { type Actor, type ContainerAction, ContainersService } from './containers.service';

const SERVICE = 'DockerManagerService';

/** An async iterable as the Observable Nest writes to a gRPC stream; the client's cancel aborts it. */
function streamOf<T, R>(make: (signal: AbortSignal) => AsyncIterable<T>, map: (item: T) => R): Observable<R> {
  return new Observable<R>((subscriber) => {
    const abort = new AbortController();
    void (async () => {
      try {
        for await (const item of make(abort.signal)) {
          if (abort.signal.aborted) return;
          subscriber.next(map(item));
        }
        subscriber.complete();
      } catch (err) {
        if (!abort.signal.aborted) subscriber.error(err);
      }
    })();
    return () => abort.abort();
  });
}

function actorOf(md: Metadata): Actor {
  return { principal: principalFrom(md), ip: clientContextFrom(md).ip };
}

/** gRPC transport of containers: the caller from the verified token, everything else in ContainersService. */
@Controller()
export class ContainersGrpcController {
  constructor(private readonly containers: ContainersService) {}

  @GrpcMethod(SERVICE, 'ListContainers')
  @RequirePermissions('docker:read')
  listContainers(req: dockerManagerV1.ListContainersRequest): Promise<dockerManagerV1.ListContainersResponse> {
    return this.containers.list(req);
  }

  @GrpcMethod(SERVICE, 'GetContainer')
  @RequirePermissions('docker:read')
  getContainer(req: dockerManagerV1.GetContainerRequest): Promise<dockerManagerV1.Container> {
    return this.containers.get(req.id);
  }

  @GrpcMethod(SERVICE, 'StartContainer')
  @RequirePermissions('docker:manage')
  startContainer(req: dockerManagerV1.StartContainerRequest, md: Metadata): Promise<dockerManagerV1.Container> {
    return this.act(md, 'start', req.id);
  }

  @GrpcMethod(SERVICE, 'StopContainer')
  @RequirePermissions('docker:manage')
  stopContainer(req: dockerManagerV1.StopContainerRequest, md: Metadata): Promise<dockerManagerV1.Container> {
    return this.act(md, 'stop', req.id, req.timeoutSeconds);
  }

  @GrpcMethod(SERVICE, 'RestartContainer')
  @RequirePermissions('docker:manage')
  restartContainer(req: dockerManagerV1.RestartContainerRequest, md: Metadata): Promise<dockerManagerV1.Container> {
    return this.act(md, 'restart', req.id, req.timeoutSeconds);
  }

  @GrpcMethod(SERVICE, 'StreamLogs')
  @RequirePermissions('docker:read')
  streamLogs(req: dockerManagerV1.StreamLogsRequest): Observable<dockerManagerV1.LogChunk> {
    const v = new Violations();
    const since = req.since ? v.date('since', req.since, { dateOnly: false }) : undefined;
    v.throwIfAny('Invalid log query');
    return streamOf(
      (signal) => this.containers.logs(req.id, { follow: req.follow, tail: req.tail, since, timestamps: req.timestamps, stdout: req.stdout, stderr: req.stderr }, signal),
      (line) => ({ stream: line.stream, text: line.text, timestamp: line.time ?? '' }),
    );
  }

  @GrpcMethod(SERVICE, 'GetStats')
  @RequirePermissions('docker:read')
  getStats(req: dockerManagerV1.GetStatsRequest): Promise<dockerManagerV1.ContainerStats> {
    return this.containers.stats(req.id);
  }

  @GrpcMethod(SERVICE, 'StreamStats')
  @RequirePermissions('docker:read')
  streamStats(req: dockerManagerV1.GetStatsRequest): Observable<dockerManagerV1.ContainerStats> {
    return streamOf((signal) => this.containers.statsStream(req.id, signal), (s) => s);
  }

  private act(md: Metadata, action: ContainerAction, id: string, timeoutSeconds?: number): Promise<dockerManagerV1.Container> {
    return this.containers.act(actorOf(md), action, id, timeoutSeconds);
  }
}
