// tools/bundle-service.mjs on a fixture app: what it bundles still finds its own files, the
// output is ASCII, its code cache is one this Node accepts, a native addon or an unchecked
// computed require fails the build, and with tracing started the loader runs the unbundled main.js.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { uniqueName } from '@aether/testing';

const ROOT = join(__dirname, '..');
const BUNDLER = join(ROOT, 'tools/bundle-service.mjs');

let fixture: string;

function write(path: string, text: string) {
  mkdirSync(dirname(join(fixture, path)), { recursive: true });
  writeFileSync(join(fixture, path), text);
}

/** A package in the fixture's node_modules whose main file is `main` with `source`. */
function writePackage(name: string, main: string, source: string) {
  write(`node_modules/${name}/package.json`, JSON.stringify({ name, main }));
  write(`node_modules/${name}/${main}`, source);
}

/** Bundles apps/<app> of the fixture; the bundler's exit status and stderr. */
function bundle(app = 'fx') {
  const r = spawnSync(process.execPath, [BUNDLER, relative(ROOT, join(fixture, 'apps', app))], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** Runs the fixture's loader (main.bundle.js), as the launchers do; `node` flags before it. */
const run = (flags: string[] = []) =>
  JSON.parse(execFileSync(process.execPath, [...flags, join(fixture, 'apps/fx/src/main.bundle.js')], { cwd: ROOT, encoding: 'utf8' })) as unknown;
const code = () => readFileSync(join(fixture, 'apps/fx/src/main.bundle.code.js'), 'latin1');

beforeEach(() => {
  fixture = join(ROOT, 'tmp', uniqueName('bundle-fixture'));
  // A package that reads a file beside itself, as grpc-health-check reads its .proto.
  writePackage('reads-own-file', 'lib/index.js', "module.exports = require('fs').readFileSync(require('path').join(__dirname, 'data.txt'), 'utf8').trim();\n");
  write('node_modules/reads-own-file/lib/data.txt', 'beside the package\n');
  write(
    'apps/fx/src/main.js',
    [
      "const data = require('reads-own-file');",
      // validator's locale regexes are like this: a non-Latin-1 character in a regex literal.
      "const cyrillic = /^[А-Я]+$/i;",
      // Beyond U+FFFF: escaped as a surrogate pair, still one character to a `u` regex.
      "const emoji = /^[😀]$/u;",
      "console.log(JSON.stringify({ data, matches: cyrillic.test('ПРИВЕТ') && emoji.test('😀'), bundled: typeof __aetherPath === 'function' }));",
    ].join('\n'),
  );
});

afterEach(() => rmSync(fixture, { recursive: true, force: true }));

describe('bundle-service', () => {
  it('bundles an app whose packages still read the files beside them', () => {
    expect(bundle()).toMatchObject({ status: 0 });
    expect(run()).toEqual({ data: 'beside the package', matches: true, bundled: true });
    // Bundled: the package's code is inside, not required from node_modules at run time.
    expect(code()).toContain('data.txt');
    // With source maps on, Node's own loader reads the code (it maps only what it compiled).
    expect(run(['--enable-source-maps'])).toEqual({ data: 'beside the package', matches: true, bundled: true });
  });

  it('leaves the packages of stores the app does not use in node_modules (the fixture is in no services.yaml entry)', () => {
    // Required lazily, as the kit's readiness checks require TypeORM and mongoose.
    write('apps/lazy/src/main.js', "exports.orm = () => require('typeorm'); exports.odm = () => require('mongoose');\n");
    expect(bundle('lazy')).toMatchObject({ status: 0 });
    const bundled = readFileSync(join(fixture, 'apps/lazy/src/main.bundle.code.js'), 'utf8');
    expect(bundled).toContain('require("typeorm")');
    expect(bundled).toContain('require("mongoose")');
    expect(bundled.length).toBeLessThan(10_000); // neither package's code is inside
  });

  it('writes an ASCII-only bundle (V8 keeps a source with one wider character at two bytes a character)', () => {
    expect(bundle()).toMatchObject({ status: 0 });
    expect(code()).not.toMatch(/[^\p{ASCII}]/u);
    expect(code()).toContain('\\u0410-\\u042f');
    expect(code()).toContain('\\ud83d\\ude00');
  });

  it('writes a code cache that this Node accepts for the code (and rejects for other code)', () => {
    expect(bundle()).toMatchObject({ status: 0 });
    // In a new process, as a service starts: V8 checks its flags against the cache's, and this
    // worker's may have been changed at run time by an earlier suite (--expose-gc).
    const rejected = (source: string) =>
      execFileSync(
        process.execPath,
        [
          '-e',
          `const { compileFunction } = require('node:vm'); const { readFileSync } = require('node:fs');
           const cachedData = readFileSync(process.argv[2]);
           const params = ['exports', 'require', 'module', '__filename', '__dirname'];
           process.stdout.write(String(compileFunction(readFileSync(process.argv[1], 'latin1') + process.argv[3], params, { cachedData }).cachedDataRejected));`,
          join(fixture, 'apps/fx/src/main.bundle.code.js'),
          join(fixture, 'apps/fx/src/main.bundle.code.cache'),
          source,
        ],
        { encoding: 'utf8' },
      );
    expect(rejected('')).toBe('false');
    expect(rejected(';0')).toBe('true');
  });

  it('runs the unbundled main.js when the tracing preload started its SDK', () => {
    expect(bundle()).toMatchObject({ status: 0 });
    write('tracing-started.js', 'globalThis[Symbol.for("aether.tracing.started")] = true;\n');
    expect(run(['-r', join(fixture, 'tracing-started.js')])).toEqual({ data: 'beside the package', matches: true, bundled: false });
  });

  it('fails on a native addon it would have to bundle, naming the list to add it to', () => {
    writePackage('native-thing', 'build/thing.node', 'not really an addon');
    write('apps/nat/src/main.js', "require('native-thing');\n");
    const r = bundle('nat');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/native-thing is a native addon: add its package to NATIVE/);
  });

  it('fails on a computed require in a package nobody checked', () => {
    writePackage('computed-require', 'index.js', "module.exports = (file) => require(file);\n");
    write('apps/dyn/src/main.js', "require('computed-require')('x');\n");
    const r = bundle('dyn');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/computed-require\/index\.js:1 .*require/);
  });

  it('does nothing for a project without src/main.js (a library)', () => {
    expect(bundle('none')).toEqual({ status: 0, stderr: '' });
  });
});
