// Dockerfile rules of our own over dockerfile-ast's parse (hadolint's ids where one matches;
// ids of our own otherwise): base image tags, ADD, apt-get hygiene, curl|sh, USER, secrets in ENV/ARG.
import type { Finding, Severity } from '../analysis.types';
import type { ToolInput, ToolOutput, WorkerTool } from './tool';

type DockerfileAst = typeof import('dockerfile-ast');
type Instruction = import('dockerfile-ast').Instruction;

/** The rule set's own version: bump it when a rule changes. */
const RULES_VERSION = '1';
const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)($|_)/i;

let ast: DockerfileAst | undefined;
let astVersion = '';

function load(): DockerfileAst {
  if (!ast) {
    ast = require('dockerfile-ast') as DockerfileAst;
    const path = require('node:path') as typeof import('node:path');
    const pkg = path.join(path.dirname(require.resolve('dockerfile-ast')), '..', 'package.json');
    astVersion = (JSON.parse(require('node:fs').readFileSync(pkg, 'utf8')) as { version: string }).version;
  }
  return ast;
}

function analyzeOne(file: ToolInput): Finding[] {
  const dockerfile = load().DockerfileParser.parse(file.content);
  const findings: Finding[] = [];
  const report = (ins: Instruction, id: string, severity: Severity, message: string, suggestion?: string) => {
    const range = ins.getRange();
    findings.push({
      path: file.path,
      line: range.start.line + 1,
      column: range.start.character + 1,
      endLine: range.end.line + 1,
      severity,
      rule: `dockerfile/${id}`,
      source: 'dockerfile',
      message,
      ...(suggestion !== undefined && range.start.line === range.end.line && { suggestion }),
    });
  };
  const lineOf = (ins: Instruction) => file.content.split('\n')[ins.getRange().start.line] ?? '';

  const stageNames = new Set<string>();
  let lastStageUser: { ins: Instruction; user: string } | undefined;
  let stages = 0;
  for (const ins of dockerfile.getInstructions()) {
    const keyword = ins.getKeyword().toUpperCase();
    const args = ins.getArguments().map((a) => a.getValue());
    const text = ins.getArgumentsContent() ?? '';
    if (keyword === 'FROM') {
      stages++;
      lastStageUser = undefined;
      const image = args.find((a) => !a.startsWith('--')) ?? '';
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS');
      if (asIndex > 0 && args[asIndex + 1]) stageNames.add(args[asIndex + 1].toLowerCase());
      const isStage = stageNames.has(image.toLowerCase()) && image.toLowerCase() !== args[asIndex + 1]?.toLowerCase();
      if (!image || image === 'scratch' || image.includes('$') || image.includes('@') || isStage) continue;
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      if (tag === 'latest') {
        report(ins, 'DL3007', 'warning', `Image ${image} uses the "latest" tag: builds are not reproducible; pin a version (or a digest).`);
      } else if (!tag) {
        report(ins, 'DL3006', 'warning', `Image ${image} has no tag (it means "latest"): pin a version (or a digest).`);
      }
    } else if (keyword === 'ADD') {
      const sources = args.filter((a) => !a.startsWith('--')).slice(0, -1);
      if (sources.some((s) => /^https?:\/\//i.test(s))) {
        if (!args.some((a) => a.startsWith('--checksum='))) {
          report(ins, 'add-url', 'warning', 'ADD downloads a URL without --checksum: the build trusts whatever the server returns; use ADD --checksum=sha256:… or RUN curl with a verified hash.');
        }
      } else if (sources.length && !sources.some((s) => /\.(tar|tar\.\w+|tgz|tbz2?|txz)$/i.test(s) || s.startsWith('git@'))) {
        const line = lineOf(ins);
        report(ins, 'DL3020', 'info', 'Use COPY instead of ADD for files and folders (ADD also unpacks archives and fetches URLs).', line.replace(/^(\s*)ADD\b/i, '$1COPY'));
      }
    } else if (keyword === 'RUN') {
      const shell = text;
      if (/\bapt-get\s+(?:-\S+\s+)*install\b/.test(shell)) {
        if (!/--no-install-recommends\b/.test(shell)) {
          report(ins, 'DL3015', 'info', 'apt-get install without --no-install-recommends pulls packages the image does not need.');
        }
        if (!/rm\s+-rf?\s+\/var\/lib\/apt\/lists/.test(shell)) {
          report(ins, 'DL3009', 'info', 'Delete the apt lists (rm -rf /var/lib/apt/lists/*) in the same RUN as apt-get install, or they stay in the layer.');
        }
      }
      if (/\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/.test(shell)) {
        report(ins, 'curl-pipe-shell', 'warning', 'A downloaded script is piped into a shell: nothing checks what runs. Download it, verify its checksum, then run it.');
      }
      if (/(^|[;&|]\s*)sudo\b/.test(shell)) {
        report(ins, 'DL3004', 'warning', 'Do not use sudo in RUN: it has unpredictable TTY and signal behaviour; switch USER instead.');
      }
    } else if (keyword === 'USER') {
      lastStageUser = { ins, user: (args[0] ?? '').split(':')[0] };
    } else if (keyword === 'ENV' || keyword === 'ARG') {
      const names = keyword === 'ENV' && args.length === 2 && !args[0].includes('=') ? [args[0]] : args.map((a) => a.split('=')[0]);
      for (const name of names.filter((n) => SECRET_NAME.test(n))) {
        report(
          ins,
          'SecretsUsedInArgOrEnv',
          'error',
          `${keyword} ${name} looks like a secret: ${keyword} values stay in the image's history and metadata. Pass it at run time or with a build secret (RUN --mount=type=secret).`,
        );
      }
    }
  }
  // Only the final stage is the image that runs.
  const instructions = dockerfile.getInstructions();
  if (stages > 0) {
    if (lastStageUser && (lastStageUser.user === 'root' || lastStageUser.user === '0')) {
      report(lastStageUser.ins, 'DL3002', 'warning', 'The final stage runs as root: switch to a non-root USER before the end.');
    } else if (!lastStageUser && instructions.length > 0) {
      const last = instructions[instructions.length - 1];
      report(last, 'missing-user', 'info', 'The final stage sets no USER, so the container runs as root: add a non-root USER.');
    }
  }
  return findings;
}

function analyze(files: ToolInput[]): ToolOutput {
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      findings.push(...analyzeOne(file));
    } catch (err) {
      errors.push(`${file.path}: ${(err as Error).message}`);
    }
  }
  return { findings, errors };
}

export const tool: WorkerTool = {
  name: 'dockerfile',
  version: () => (load(), `${RULES_VERSION} (dockerfile-ast ${astVersion})`),
  load: () => void load(),
  analyze,
};
