import type { Provider } from '@nestjs/common';
import { DockerManagerEnv } from '../config/docker-manager.env';
import { DockerBackend } from '../docker/docker-backend';
import { createKubernetesBackend } from '../kubernetes/kubernetes-backend';
import { CONTAINER_BACKEND, type ContainerBackend } from './container-backend';
import { parseAllowListLabel } from './label-selector';

/** CONTAINER_BACKEND=docker | kubernetes, with the allow-list label of CONTAINER_LABEL. */
export const containerBackendProvider: Provider = {
  provide: CONTAINER_BACKEND,
  inject: [DockerManagerEnv],
  useFactory: async (env: DockerManagerEnv): Promise<ContainerBackend> => {
    const label = parseAllowListLabel(env.CONTAINER_LABEL);
    if (env.CONTAINER_BACKEND === 'kubernetes') {
      return createKubernetesBackend({ label, namespace: env.K8S_NAMESPACE, kubeconfig: env.KUBECONFIG, timeoutMs: env.ENGINE_TIMEOUT_MS });
    }
    return new DockerBackend(label, env.DOCKER_HOST, env.ENGINE_TIMEOUT_MS);
  },
};
