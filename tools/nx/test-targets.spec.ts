// `npm test` runs every suite through the projects' Nx `test` targets, so a suite outside every
// project's jest roots would silently never run (and one inside two would run twice).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { WORKSPACE_ROOT } from '../manifest/manifest';

interface TestTarget {
  project: string;
  roots: string[];
}

/** Each project's jest roots, from its test command (project.json over nx.json's default). */
function testTargets(): TestTarget[] {
  const nx = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'nx.json'), 'utf8'));
  const defaultCommand: string = nx.targetDefaults.test.options.command;
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*project.json'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('project.json') && !f.includes('/files/'));
  return files.flatMap((file) => {
    const project = JSON.parse(readFileSync(join(WORKSPACE_ROOT, file), 'utf8'));
    const test = project.targets?.test;
    if (!test) return [];
    const root = dirname(file);
    const command = String(test.options?.command ?? test.command ?? defaultCommand).replace(/\{projectRoot\}/g, root);
    const roots = [...command.matchAll(/--roots[= ](\S+)/g)].map((m) => m[1]);
    return [{ project: project.name, roots }];
  });
}

describe('Nx test targets', () => {
  it('run every jest suite of the workspace exactly once', () => {
    const targets = testTargets();
    expect(targets.length).toBeGreaterThan(5);
    for (const t of targets) expect({ project: t.project, roots: t.roots.length }).toEqual({ project: t.project, roots: 1 });
    const suites = execFileSync(join(WORKSPACE_ROOT, 'node_modules/.bin/jest'), ['--listTests'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => relative(WORKSPACE_ROOT, f));
    expect(suites.length).toBeGreaterThan(50);
    const owners = suites.map((suite) => ({ suite, projects: targets.filter((t) => t.roots.some((r) => suite.startsWith(`${r}/`))).map((t) => t.project) }));
    expect(owners.filter((o) => o.projects.length !== 1)).toEqual([]);
  });
});
