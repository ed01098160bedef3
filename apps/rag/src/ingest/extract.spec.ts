import { htmlToMarkdown } from './extract';

// What rag requires only with its first HTML document (extract.ts says why).
const HTML_LIBRARIES = ['linkedom', 'turndown', 'turndown-plugin-gfm', '@mozilla/readability'];

describe('HTML extraction', () => {
  afterEach(() => {
    for (const name of HTML_LIBRARIES) jest.dontMock(name);
    jest.resetModules();
  });

  it('rag starts without the HTML libraries: its module graph requires none of them', () => {
    jest.isolateModules(() => {
      for (const name of HTML_LIBRARIES) {
        jest.doMock(name, () => {
          throw new Error(`${name} was required`);
        });
      }
      expect(() => require('../rag.module')).not.toThrow();
      // …and the first HTML document needs them (the check above can fail).
      const lazy = require('./extract') as typeof import('./extract');
      expect(() => lazy.htmlToMarkdown('<p>x</p>')).toThrow(/was required/);
    });
  });

  it('turns HTML into Markdown with its tables, without scripts', () => {
    const md = htmlToMarkdown(
      '<h1>Install</h1><p>Run <code>apt</code>.</p><script>alert(1)</script><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>',
    );
    expect(md).toContain('# Install');
    expect(md).toContain('Run `apt`.');
    expect(md).toMatch(/\| a \| b \|/);
    expect(md).not.toContain('alert');
  });
});
