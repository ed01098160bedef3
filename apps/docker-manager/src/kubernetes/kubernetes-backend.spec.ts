import { cpuCores, memoryBytes, owningDeployment, podToContainer } from './kubernetes-backend';

const pod = (over: Record<string, any> = {}): any => ({
  metadata: {
    uid: '6f1c1c52-0a4b-4d0e-9b53-1f0c2b7b2c11',
    name: 'web-7d9f8c6b5-x2k4p',
    labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5', 'aether.managed': 'true' },
    creationTimestamp: new Date('2030-01-31T17:00:00Z'),
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d9f8c6b5', controller: true }],
  },
  spec: { containers: [{ name: 'main', image: 'web:1', ports: [{ containerPort: 8080 }], volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }] }] },
  status: {
    phase: 'Running',
    startTime: new Date('2030-01-31T17:00:01Z'),
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'main', restartCount: 2, state: { running: { startedAt: new Date('2030-01-31T17:00:02Z') } } }],
  },
  ...over,
});

describe('Kubernetes mapping', () => {
  it('maps a pod to the API’s container', () => {
    expect(podToContainer(pod())).toEqual({
      id: '6f1c1c52-0a4b-4d0e-9b53-1f0c2b7b2c11',
      name: 'web-7d9f8c6b5-x2k4p',
      image: 'web:1',
      state: 'running',
      status: 'Running',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5', 'aether.managed': 'true' },
      ports: [{ privatePort: 8080, publicPort: 0, protocol: 'tcp', ip: '' }],
      createdAt: '2030-01-31T17:00:00.000Z',
      startedAt: '2030-01-31T17:00:02.000Z',
      finishedAt: '',
      exitCode: 0,
      restartCount: 2,
      mounts: [{ type: 'volume', name: 'data', destination: '/data', readOnly: true }],
      health: 'healthy',
    });
    const crashing = pod({ status: { phase: 'Running', containerStatuses: [{ restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } });
    expect(podToContainer(crashing)).toMatchObject({ state: 'running', status: 'CrashLoopBackOff', restartCount: 5, health: '' });
  });

  it('finds the owning Deployment from the ReplicaSet name and the pod-template-hash', () => {
    expect(owningDeployment(pod())).toBe('web');
    expect(owningDeployment(pod({ metadata: { ...pod().metadata, ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] } }))).toBeUndefined();
    expect(owningDeployment(pod({ metadata: { ...pod().metadata, ownerReferences: [] } }))).toBeUndefined();
  });

  it('reads resource quantities', () => {
    expect(cpuCores('250m')).toBe(0.25);
    expect(cpuCores('1500000n')).toBeCloseTo(0.0015);
    expect(cpuCores('2')).toBe(2);
    expect(memoryBytes('128Mi')).toBe(134217728);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('junk')).toBe(0);
  });
});
