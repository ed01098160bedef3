import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv } from '@aether/service-kit';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';

/**
 * Environment of the docker-manager service, validated at start-up by the service kit (a missing or
 * bad variable stops the process naming it); RABBITMQ_URL (MessagingEnv) and AUTH_JWKS_URL /
 * AUTH_ISSUER / AUTH_AUDIENCE (AuthEnv) come with the mixins.
 */
export class DockerManagerEnv extends AuthEnv(MessagingEnv(BaseEnv)) {
  GRPC_PORT = 50057;
  HTTP_PORT = 9107;

  /** Where containers live: `docker` (the Docker Engine API at DOCKER_HOST) or `kubernetes` (pods of K8S_NAMESPACE). */
  @IsIn(['docker', 'kubernetes'], { message: 'CONTAINER_BACKEND must be docker or kubernetes' })
  CONTAINER_BACKEND: 'docker' | 'kubernetes' = 'docker';

  /** The allow-list: only containers (pods) carrying this label (`key=value`, or `key` for any value) exist for the API. */
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}(=[A-Za-z0-9._-]{0,63})?$/, { message: 'CONTAINER_LABEL must be key=value or key (label syntax)' })
  CONTAINER_LABEL = 'aether.managed=true';

  /** The Docker engine: unix:///path/to/docker.sock, tcp://host:port or http(s)://host:port; unset = /var/run/docker.sock. */
  @IsOptional()
  @Matches(/^(unix:\/\/\/\S+|(tcp|http|https):\/\/[^\s/]+\/?)$/, { message: 'DOCKER_HOST must be unix:///path, tcp://host:port or http(s)://host:port' })
  DOCKER_HOST?: string;

  /** The namespace whose pods are managed (CONTAINER_BACKEND=kubernetes); in a cluster it defaults to the pod's own. */
  @ValidateIf((e: DockerManagerEnv) => e.K8S_NAMESPACE !== undefined)
  @Matches(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: 'K8S_NAMESPACE must be a Kubernetes namespace name' })
  K8S_NAMESPACE?: string;

  /** A kubeconfig file for the Kubernetes backend outside a cluster; unset = the in-cluster ServiceAccount (or ~/.kube/config). */
  @IsOptional() @IsString() KUBECONFIG?: string;

  /** Turns the engine's own state changes (crashes, restarts by policy, changes made on the host) into events. */
  @IsOptional() @Transform(({ value }) => value === true || value === 'true' || value === '1') @IsBoolean()
  CONTAINER_EVENTS_ENABLED = true;

  /** Longest wait for one engine (or Kubernetes API) call before the request fails with 503/504. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(120_000) ENGINE_TIMEOUT_MS = 15_000;

  /** Interval of the stats stream (stream=true). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(250) @Max(60_000) STATS_STREAM_INTERVAL_MS = 1000;
}
