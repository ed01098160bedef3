// README's configuration tables come from the env classes: they are up to date, they show the
// defaults the code has, and every variable must carry a description.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateIf } from 'class-validator';
import { WORKSPACE_ROOT } from '../manifest/manifest';
import { appEnvClass, applyMarkdownRegion, envRows, readDocs, renderReadme, renderTable } from './env-docs';

const readme = () => readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8');

class ExampleEnv {
  @IsString() REQUIRED_URL!: string;
  @IsOptional() @Type(() => Number) @IsInt() WITH_DEFAULT = 5000;
  @IsOptional() @IsString() UNSET?: string;
  @ValidateIf((e: ExampleEnv) => e.UNSET !== undefined) @IsString() ONLY_WITH_UNSET?: string;
}

describe('configuration tables in README', () => {
  it('are up to date with the env classes (run `npm run env-docs:gen`)', () => {
    expect(renderReadme(WORKSPACE_ROOT, readme())).toEqual(readme());
  });

  it('show the defaults the code has (analytics: prefetch 5000, batch 2000)', () => {
    const rows = envRows(appEnvClass(WORKSPACE_ROOT, 'analytics'), readDocs());
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.default]));
    expect(byName.ANALYTICS_PREFETCH).toBe('`5000`');
    expect(byName.ANALYTICS_BATCH_SIZE).toBe('`2000`');
    expect(byName.MONGODB_URL).toBe('required');
    expect(readme()).toContain('| `ANALYTICS_PREFETCH` | `5000` |');
  });

  it('renders required, defaulted, unset and conditional variables with their descriptions', () => {
    const docs = new Map([['ExampleEnv', new Map(['REQUIRED_URL', 'WITH_DEFAULT', 'UNSET', 'ONLY_WITH_UNSET'].map((n) => [n, `about ${n} <x> | y`]))]]);
    expect(renderTable(envRows(ExampleEnv, docs))).toBe(
      [
        '| variable | default | meaning |',
        '| --- | --- | --- |',
        '| `REQUIRED_URL` | required | about REQUIRED_URL &lt;x&gt; \\| y |',
        '| `WITH_DEFAULT` | `5000` | about WITH_DEFAULT &lt;x&gt; \\| y |',
        '| `UNSET` | unset | about UNSET &lt;x&gt; \\| y |',
        '| `ONLY_WITH_UNSET` | conditional | about ONLY_WITH_UNSET &lt;x&gt; \\| y |',
      ].join('\n'),
    );
  });

  it('refuses a variable without a description', () => {
    const docs = new Map([['ExampleEnv', new Map([['REQUIRED_URL', 'documented']])]]);
    expect(() => envRows(ExampleEnv, docs)).toThrow('ExampleEnv: describe every variable with a JSDoc comment (missing: WITH_DEFAULT, UNSET, ONLY_WITH_UNSET)');
  });

  it('needs its markers in README', () => {
    expect(() => applyMarkdownRegion('no markers', 'env:nope', '')).toThrow(/markers of generated region "env:nope" are missing/);
  });
});
