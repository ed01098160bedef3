// Which language a file is, from its name (extension, `Dockerfile*`), the request's hint, or a
// shebang, in that order: a recognised path wins over a hint meant for a one-file request.

export type Language =
  | 'typescript'
  | 'javascript'
  | 'python'
  | 'shell'
  | 'dockerfile'
  // Parsed by tree-sitter only (syntax errors).
  | 'go'
  | 'java'
  | 'rust'
  | 'c'
  | 'cpp'
  | 'csharp'
  | 'ruby'
  | 'php'
  | 'css'
  | 'powershell';

const BY_EXTENSION: Record<string, Language> = {
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescript',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  py: 'python', pyi: 'python',
  sh: 'shell', bash: 'shell', ksh: 'shell', dash: 'shell', zsh: 'shell',
  go: 'go', java: 'java', rs: 'rust',
  c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp',
  cs: 'csharp', rb: 'ruby', php: 'php', css: 'css', ps1: 'powershell', psm1: 'powershell',
};

const HINTS: Record<string, Language> = {
  typescript: 'typescript', ts: 'typescript', tsx: 'typescript',
  javascript: 'javascript', js: 'javascript', jsx: 'javascript', node: 'javascript',
  python: 'python', py: 'python', python3: 'python',
  shell: 'shell', sh: 'shell', bash: 'shell', ksh: 'shell', dash: 'shell',
  dockerfile: 'dockerfile', docker: 'dockerfile', containerfile: 'dockerfile',
  go: 'go', golang: 'go', java: 'java', rust: 'rust', rs: 'rust',
  c: 'c', cpp: 'cpp', 'c++': 'cpp', csharp: 'csharp', 'c#': 'csharp', cs: 'csharp',
  ruby: 'ruby', rb: 'ruby', php: 'php', css: 'css', powershell: 'powershell', ps1: 'powershell',
};

/** The language of one file, or undefined when no analyzer applies. */
export function detectLanguage(path: string, content: string, hint?: string): Language | undefined {
  const base = path.split('/').pop() ?? path;
  if (/^(Dockerfile|Containerfile)([.-].*)?$/i.test(base) || /\.(dockerfile|containerfile)$/i.test(base)) return 'dockerfile';
  const dot = base.lastIndexOf('.');
  const byExtension = dot > 0 ? BY_EXTENSION[base.slice(dot + 1).toLowerCase()] : undefined;
  if (byExtension) return byExtension;
  const byHint = hint ? HINTS[hint.trim().toLowerCase()] : undefined;
  if (byHint) return byHint;
  return fromShebang(content);
}

function fromShebang(content: string): Language | undefined {
  const first = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(content);
  if (!first) return undefined;
  // `#!/usr/bin/env -S node --flag` and `#!/usr/bin/env python3` name the interpreter second.
  const program = (first[1].endsWith('/env') ? (first[2] === '-S' ? content.split(/\s+/)[2] : first[2]) : first[1]) ?? '';
  const name = program.split('/').pop() ?? '';
  if (/^(ba|da|k|z)?sh$/.test(name)) return 'shell';
  if (/^python[0-9.]*$/.test(name)) return 'python';
  if (/^(node|nodejs)$/.test(name)) return 'javascript';
  if (/^(deno|bun|ts-node|tsx)$/.test(name)) return 'typescript';
  return undefined;
}

/** The shell dialect ShellCheck should assume for a file without a shebang. */
export function shellDialect(path: string): 'bash' | 'sh' | 'ksh' | 'dash' {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return ext === 'ksh' ? 'ksh' : ext === 'dash' ? 'dash' : 'bash';
}
