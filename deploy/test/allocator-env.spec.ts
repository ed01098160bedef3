// Every way a service starts — the image, the dev runner, the test/bench process runner — uses
// the same glibc allocator settings (libs/testing SERVICE_ALLOCATOR_ENV says what they do and
// what they do not), so the soak measured by the benches is the one production runs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SERVICE_ALLOCATOR_ENV } from '@aether/testing';

const root = resolve(__dirname, '../..');

describe('allocator settings of service processes', () => {
  const entries = Object.entries(SERVICE_ALLOCATOR_ENV);

  it('are set by the image', () => {
    const dockerfile = readFileSync(resolve(root, 'deploy/Dockerfile'), 'utf8');
    for (const [name, value] of entries) expect(dockerfile).toMatch(new RegExp(`^(ENV |\\s+)${name}=${value}\\b`, 'm'));
  });

  it('are set by the dev runner for every service it starts', () => {
    const dev = readFileSync(resolve(root, 'scripts/dev.sh'), 'utf8');
    const start = dev.split('\n').find((l) => /env .*HTTP_PORT="\$http".* node -r/.test(l));
    expect(start).toBeDefined();
    for (const [name, value] of entries) expect(start).toContain(`${name}=${value}`);
  });
});
