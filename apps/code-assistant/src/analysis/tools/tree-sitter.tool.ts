// Languages without a dedicated analyzer are parsed with tree-sitter (VS Code's WebAssembly
// builds): what does not parse is reported where the parser gave up.
import type { Finding } from '../analysis.types';
import type { Language } from '../languages';
import type { ToolInput, ToolOutput, WorkerTool } from './tool';

type TreeSitter = typeof import('@vscode/tree-sitter-wasm');
type TsNode = import('@vscode/tree-sitter-wasm').Node;

const GRAMMARS: Partial<Record<Language, string>> = {
  go: 'go', java: 'java', rust: 'rust', cpp: 'cpp', csharp: 'c-sharp', ruby: 'ruby', php: 'php', css: 'css', powershell: 'powershell',
};
/** Reported per file at most: past the first errors the parser's recovery says little. */
const MAX_ERRORS_PER_FILE = 10;

let runtime: TreeSitter | undefined;
let wasmDir = '';
let packageVersion = '';
const languages = new Map<string, import('@vscode/tree-sitter-wasm').Language>();

async function load(): Promise<TreeSitter> {
  if (runtime) return runtime;
  const path = require('node:path') as typeof import('node:path');
  const main = require.resolve('@vscode/tree-sitter-wasm');
  wasmDir = path.dirname(main);
  packageVersion = (JSON.parse(require('node:fs').readFileSync(path.join(wasmDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const ts = require('@vscode/tree-sitter-wasm') as TreeSitter;
  await ts.Parser.init({ locateFile: (file: string) => path.join(wasmDir, file) });
  runtime = ts;
  return ts;
}

async function grammar(ts: TreeSitter, name: string) {
  let lang = languages.get(name);
  if (!lang) {
    lang = await ts.Language.load(`${wasmDir}/tree-sitter-${name}.wasm`);
    languages.set(name, lang);
  }
  return lang;
}

function collectErrors(root: TsNode, out: TsNode[]): void {
  const stack: TsNode[] = [root];
  while (stack.length && out.length < MAX_ERRORS_PER_FILE) {
    const node = stack.pop()!;
    if (node.isError || node.isMissing) {
      out.push(node);
      continue;
    }
    if (!node.hasError) continue;
    for (let i = node.childCount - 1; i >= 0; i--) stack.push(node.child(i)!);
  }
}

async function analyze(files: ToolInput[]): Promise<ToolOutput> {
  const ts = await load();
  const findings: Finding[] = [];
  const errors: string[] = [];
  const parser = new ts.Parser();
  try {
    for (const file of files) {
      const name = GRAMMARS[file.language];
      if (!name) continue;
      try {
        parser.setLanguage(await grammar(ts, name));
        const tree = parser.parse(file.content);
        if (!tree) throw new Error('the parser gave no tree');
        const bad: TsNode[] = [];
        collectErrors(tree.rootNode, bad);
        for (const node of bad) {
          const text = node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(file.content.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 40)))}`;
          findings.push({
            path: file.path,
            line: node.startPosition.row + 1,
            column: node.startPosition.column + 1,
            endLine: node.endPosition.row + 1,
            severity: 'error',
            rule: 'tree-sitter/syntax-error',
            source: 'tree-sitter',
            message: `Syntax error (${file.language}): ${text}`,
          });
        }
        tree.delete();
      } catch (err) {
        errors.push(`${file.path}: ${(err as Error).message}`);
      }
    }
  } finally {
    parser.delete();
  }
  return { findings, errors };
}

export const tool: WorkerTool = {
  name: 'tree-sitter',
  version: () => packageVersion,
  load: async () => void (await load()),
  analyze,
};
