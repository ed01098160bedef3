/** The usual test framework of a language (what "framework" means when the request names none). */
export function defaultFramework(language: string): string {
  switch (language) {
    case 'typescript':
    case 'javascript': return 'jest';
    case 'python': return 'pytest';
    case 'go': return 'testing';
    case 'java':
    case 'kotlin': return 'junit5';
    case 'ruby': return 'rspec';
    case 'shell': return 'bats';
    case 'rust': return 'cargo-test';
    case 'csharp': return 'xunit';
    case 'php': return 'phpunit';
    default: return '';
  }
}

/** Where the tests of `path` go, by the conventions of its language and framework. */
export function testPathFor(path: string, language: string, framework: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const file = path.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  const stem = dot > 0 ? file.slice(0, dot) : file;
  const ext = dot > 0 ? file.slice(dot + 1) : '';
  switch (language) {
    case 'typescript':
    case 'javascript':
      return `${dir}${stem}.${framework === 'vitest' || framework === 'node:test' || framework === 'mocha' ? 'test' : 'spec'}.${ext || (language === 'typescript' ? 'ts' : 'js')}`;
    case 'python':
      return `${dir}test_${stem}.py`;
    case 'go':
      return `${dir}${stem}_test.go`;
    case 'java':
    case 'kotlin': {
      const cls = `${stem}Test.${ext}`;
      return dir.includes('src/main/') ? `${dir.replace('src/main/', 'src/test/')}${cls}` : `${dir}${cls}`;
    }
    case 'ruby':
      return `spec/${dir.replace(/^(lib|app)\//, '')}${stem}_spec.rb`;
    case 'shell':
      return `test/${stem}.bats`;
    case 'rust':
      return `tests/${stem}.rs`;
    case 'csharp':
      return `${dir}${stem}Tests.cs`;
    case 'php':
      return `tests/${stem}Test.php`;
    default:
      return `${dir}${stem}.test${ext ? `.${ext}` : ''}`;
  }
}
