// Mounted files (services.yaml `files` → values `files:` → ConfigMap <service>-files): ai-gateway
// reads its operator configuration from AI_GATEWAY_CONFIG, so the pod must find the file there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K8sObject, Obj, ROOT, find, templateChart, tempValues } from './chart-harness';

const CONFIG_PATH = '/app/config/ai-gateway.yaml';
const DEFAULT_CONFIG = readFileSync(join(ROOT, 'apps/ai-gateway/config/default.yaml'), 'utf8');

function render(values?: Obj): K8sObject[] {
  const extra = values ? tempValues(values) : undefined;
  try {
    const res = templateChart(extra ? [extra.file] : []);
    if (res.status !== 0) throw new Error(`helm template failed: ${res.stderr}`);
    return res.objects;
  } finally {
    extra?.cleanup();
  }
}

/** The ConfigMap content mounted at `path` in the server container of `deployment`, and the mount. */
function mountedFile(objects: K8sObject[], deployment: string, path: string): { content: unknown; mount: Obj } {
  const pod = find(objects, 'Deployment', deployment)?.spec.template.spec;
  const container = pod.containers.find((c: Obj) => c.name === deployment);
  const mount = container.volumeMounts.find((m: Obj) => m.mountPath === path);
  expect(mount).toBeDefined();
  const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
  const configMap = find(objects, 'ConfigMap', volume.configMap.name);
  return { content: configMap?.data?.[mount.subPath], mount };
}

describe('helm chart: mounted files', () => {
  let objects: K8sObject[];

  beforeAll(() => {
    objects = render();
  }, 20 * 60_000);

  it('mounts the default ai-gateway configuration read-only where AI_GATEWAY_CONFIG points', () => {
    const env = find(objects, 'ConfigMap', 'ai-gateway-env')?.data;
    expect(env?.AI_GATEWAY_CONFIG).toBe(CONFIG_PATH);
    const { content, mount } = mountedFile(objects, 'ai-gateway', CONFIG_PATH);
    expect(mount).toMatchObject({ readOnly: true, subPath: expect.any(String) });
    expect(find(objects, 'ConfigMap', 'ai-gateway-files')).toBeDefined();
    expect(content).toBe(DEFAULT_CONFIG);
  });

  it('renders no files ConfigMap or volume for a service without files', () => {
    expect(find(objects, 'ConfigMap', 'security-files')).toBeUndefined();
    const pod = find(objects, 'Deployment', 'security')?.spec.template.spec;
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['tmp']);
  });

  it('takes the operator\'s content from values and rolls the pods when it changes', () => {
    const operatorConfig = 'providers:\n  ollama: { kind: openai, baseUrl: http://ollama:11434/v1 }\n';
    const overridden = render({ services: { 'ai-gateway': { files: { [CONFIG_PATH]: operatorConfig } } } });
    expect(mountedFile(overridden, 'ai-gateway', CONFIG_PATH).content).toBe(operatorConfig);
    const checksum = (objs: K8sObject[]) => find(objs, 'Deployment', 'ai-gateway')?.spec.template.metadata.annotations['checksum/files'];
    expect(checksum(objects)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(overridden)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(overridden)).not.toBe(checksum(objects));
  }, 5 * 60_000);

  it('refuses a mount path that is not absolute', () => {
    const bad = tempValues({ services: { 'ai-gateway': { files: { 'config.yaml': 'x' } } } });
    try {
      const res = templateChart([bad.file]);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(/files/);
    } finally {
      bad.cleanup();
    }
  }, 5 * 60_000);
});
