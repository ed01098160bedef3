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
  // Added with the second half of the questions (below).
  'procps/FAQ.gz',
  'dpkg/spec/frontend-api.txt',
  'dpkg/spec/protected-field.txt',
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
  // Second half, written the way users ask (often not in the documents' words) before any
  // system was run on them; shown to be needed because the first half left keyword ranking at
  // rank 1 for 23 of 30 questions, too easy to tell fusion strategies apart.
  { question: 'Why does ps aux warn about a bogus dash?', file: 'procps/FAQ.gz', passage: 'user named "x"' },
  { question: 'Per-CPU statistics are missing from top', file: 'procps/FAQ.gz', passage: 'Per-CPU stats are disabled by default' },
  { question: 'Why are long user names shown as numbers?', file: 'procps/FAQ.gz', passage: 'decimal integers' },
  { question: 'What is the next generation fork of the process tools called?', file: 'procps/FAQ.gz', passage: 'procps-ng (next generation)' },
  { question: 'Multi-threaded Java programs show too little processor usage', file: 'procps/FAQ.gz', passage: '2.6.10 kernel' },
  { question: 'Which lock must a package front-end take before the database lock?', file: 'dpkg/spec/frontend-api.txt', passage: 'lock-frontend' },
  { question: 'DPKG_FRONTEND_LOCKED', file: 'dpkg/spec/frontend-api.txt', passage: 'DPKG_FRONTEND_LOCKED', identifier: true },
  { question: 'What kind of file locking does the package manager expect front-ends to use?', file: 'dpkg/spec/frontend-api.txt', passage: 'advisory locking' },
  { question: 'Which new field would replace the Important field that only apt supports?', file: 'dpkg/spec/protected-field.txt', passage: 'new Protected field' },
  { question: 'Why split up what marking a package essential means?', file: 'dpkg/spec/protected-field.txt', passage: 'conflated' },
  { question: 'How does a content stream processor get its payload on Linux?', file: 'containerd/stream_processors.md', passage: 'fd 3' },
  { question: 'STREAM_PROCESSOR_PIPE', file: 'containerd/stream_processors.md', passage: 'STREAM_PROCESSOR_PIPE', identifier: true },
  { question: 'Chain several programs that transform image layers as they are read', file: 'containerd/stream_processors.md', passage: 'chain together multiple processors' },
  { question: 'Where are shims installed from images put by default?', file: 'containerd/managed-opt.md.gz', passage: '/opt/containerd' },
  { question: 'Install runtime dependencies on a machine from an image', file: 'containerd/managed-opt.md.gz', passage: 'client.Install' },
  { question: 'Start containers without downloading every layer from the registry first', file: 'containerd/remote-snapshotter.md.gz', passage: 'without pulling layers from registries' },
  { question: 'containerd.io/snapshot/', file: 'containerd/remote-snapshotter.md.gz', passage: 'containerd.io/snapshot/', identifier: true },
  { question: 'Can images be fetched lazily, on first access?', file: 'containerd/remote-snapshotter.md.gz', passage: 'lazily pull images' },
  { question: 'What is the supported way to add my own features to the Go client?', file: 'containerd/client-opts.md', passage: 'proper and supported way of extending the client' },
  { question: 'Which argument is mandatory when creating a new container with the client?', file: 'containerd/client-opts.md', passage: 'required argument of `id`' },
  { question: 'Where does the content store live on disk?', file: 'containerd/content-flow.md.gz', passage: 'io.containerd.content.v1.content' },
  { question: 'How is the right manifest chosen for my CPU architecture?', file: 'containerd/content-flow.md.gz', passage: 'pick which manifest matches our target platform' },
  { question: 'What has to happen before a container can be created from an image?', file: 'containerd/content-flow.md.gz', passage: 'Committed snapshots must be created' },
  { question: 'Connect an out-of-process extension over a local socket', file: 'containerd/PLUGINS.md.gz', passage: 'A proxy plugin is configured' },
  { question: 'Does the daemon or the client build the container specification?', file: 'containerd/PLUGINS.md.gz', passage: 'smart client architecture' },
  { question: 'How do I run the command line client inside the namespaces of a rootless daemon?', file: 'containerd/rootless.md', passage: 'nsenter' },
  { question: 'What is the easiest way to set up rootless mode?', file: 'containerd/rootless.md', passage: 'containerd-rootless-setuptool.sh' },
  { question: 'Which tests run for every new commit in the compressor project?', file: 'zstd/TESTING.md', passage: 'Short tests run on CircleCI' },
  { question: 'Which sanitizers do the medium-length tests use?', file: 'zstd/TESTING.md', passage: 'UBsan' },
  { question: 'Which type descriptor stands for a function that returns nothing?', file: 'libffi8/html/Primitive-Types.html', passage: 'ffi_type_void' },
];
