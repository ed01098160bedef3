/**
 * The retrieval evaluation set: documentation that Debian packages ship on this machine
 * (/usr/share/doc: containerd, zstd, libffi, dpkg, procps, libsodium, httplib2, GnuTLS), with
 * questions written for it and relevance judgments. A chunk is relevant to a question when it
 * comes from the judged file and contains the judged passage (case-insensitive) — judgments
 * that survive any chunking. `identifier` questions are an exact token, which must rank first.
 */
export const CORPUS_FILES = [
  'containerd/README.md.gz',
  'containerd/hosts.md.gz',
  'containerd/garbage-collection.md.gz',
  'containerd/namespaces.md',
  'containerd/rootless.md',
  'containerd/tracing.md',
  'containerd/ops.md.gz',
  'containerd/content-flow.md.gz',
  'containerd/getting-started.md.gz',
  'containerd/RUNC.md',
  'containerd/client-opts.md',
  'containerd/PLUGINS.md.gz',
  'containerd/managed-opt.md.gz',
  'containerd/remote-snapshotter.md.gz',
  'containerd/stream_processors.md',
  'zstd/README.md.gz',
  'zstd/TESTING.md',
  'libffi8/README.md.gz',
  'libffi8/html/The-Basics.html',
  'libffi8/html/The-Closure-API.html',
  'libffi8/html/Closure-Example.html',
  'libffi8/html/Primitive-Types.html',
  'libffi8/html/Structures.html',
  'libffi8/html/Introduction.html',
  'dpkg/spec/triggers.txt',
  'dpkg/spec/rootless-builds.txt',
  'dpkg/README.api',
  'procps/bugs.md',
  'libsodium23/README.markdown',
  'python3-httplib2/README.md',
  'libgnutls30/README.md.gz',
];

export interface Judged {
  question: string;
  file: string;
  passage: string;
  identifier?: boolean;
}

export const QUESTIONS: Judged[] = [
  { question: 'Where does containerd read its configuration file by default?', file: 'containerd/ops.md.gz', passage: '/etc/containerd/config.toml' },
  { question: 'How do I keep running containers alive when systemd restarts or upgrades the daemon?', file: 'containerd/ops.md.gz', passage: 'KillMode' },
  { question: 'Are namespaces a security boundary between tenants?', file: 'containerd/namespaces.md', passage: 'not meant to be used as a security feature' },
  { question: 'How can one daemon serve several tenants with containers of the same name?', file: 'containerd/namespaces.md', passage: 'multi-tenancy' },
  { question: 'Run the container daemon as an unprivileged user', file: 'containerd/rootless.md', passage: 'user_namespaces' },
  { question: 'Which directory holds per-registry hosts.toml files?', file: 'containerd/hosts.md.gz', passage: 'config_path' },
  { question: 'Use a registry mirror to pull images', file: 'containerd/hosts.md.gz', passage: 'mirror' },
  { question: 'containerd.io/gc.expire', file: 'containerd/garbage-collection.md.gz', passage: 'containerd.io/gc.expire', identifier: true },
  { question: 'What does mutation_threshold change in garbage collection?', file: 'containerd/garbage-collection.md.gz', passage: 'mutation_threshold' },
  { question: 'How long after the daemon starts does the first garbage collection run?', file: 'containerd/garbage-collection.md.gz', passage: 'startup_delay' },
  { question: 'pause_threshold', file: 'containerd/garbage-collection.md.gz', passage: 'pause_threshold', identifier: true },
  { question: 'How do I create and delete leases over the API?', file: 'containerd/garbage-collection.md.gz', passage: 'leases gRPC service' },
  { question: 'Send traces from the daemon to an OpenTelemetry collector', file: 'containerd/tracing.md', passage: 'otlp' },
  { question: 'io.containerd.tracing.processor.v1.otlp', file: 'containerd/tracing.md', passage: 'io.containerd.tracing.processor.v1.otlp', identifier: true },
  { question: 'Which runc version does containerd need?', file: 'containerd/RUNC.md', passage: 'runc' },
  { question: 'How do I pull the redis image with the Go client?', file: 'containerd/getting-started.md.gz', passage: 'redis' },
  { question: 'Compressing many small files better with a trained dictionary', file: 'zstd/README.md.gz', passage: 'training mode' },
  { question: 'Which RFC specifies the Zstandard format?', file: 'zstd/README.md.gz', passage: 'RFC8878' },
  { question: 'Is the trade-off between speed and ratio adjustable?', file: 'zstd/README.md.gz', passage: 'Speed vs Compression trade-off' },
  { question: 'How do I run the libffi test suite?', file: 'libffi8/README.md.gz', passage: 'make check' },
  { question: 'ffi_prep_closure_loc', file: 'libffi8/html/The-Closure-API.html', passage: 'ffi_prep_closure_loc', identifier: true },
  { question: 'How do I prepare a call interface before calling a function?', file: 'libffi8/html/The-Basics.html', passage: 'ffi_prep_cif' },
  { question: 'DEB_GAIN_ROOT_CMD', file: 'dpkg/spec/rootless-builds.txt', passage: 'DEB_GAIN_ROOT_CMD', identifier: true },
  { question: 'Which debian/control field says whether building needs root?', file: 'dpkg/spec/rootless-builds.txt', passage: 'Rules-Requires-Root' },
  { question: 'What state is a package in while it waits for its triggers to be processed?', file: 'dpkg/spec/triggers.txt', passage: 'triggers-awaited' },
  { question: 'Where do I report a bug in procps?', file: 'procps/bugs.md', passage: 'issues' },
  { question: 'A portable library for encryption, signatures and password hashing derived from NaCl', file: 'libsodium23/README.markdown', passage: 'NaCl' },
  { question: 'Does httplib2 reuse one connection for many requests?', file: 'python3-httplib2/README.md', passage: 'Keep-Alive' },
  { question: 'Does the HTTP library honour ETag and Cache-Control?', file: 'python3-httplib2/README.md', passage: 'Cache-Control' },
  { question: 'Which continuous integration systems does GnuTLS use?', file: 'libgnutls30/README.md.gz', passage: 'gitlab-ci' },
];
