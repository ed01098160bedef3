import { chunkDocument } from './chunker';
import { extractText, htmlToMarkdown } from './extract';
import { makePdf } from '../../test/support/pdf';

const md = (text: string) => ({ text, markdown: true, pages: [] });

describe('chunkDocument', () => {
  it('keeps the heading path with every chunk and starts a chunk at each heading', () => {
    const text = '# Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n### Linux\n\nUse apt.\n\n## Usage\n\nCall it.';
    const chunks = chunkDocument(md(text), { maxChars: 500 });
    expect(chunks.map((c) => c.headingPath)).toEqual([['Guide'], ['Guide', 'Install'], ['Guide', 'Install', 'Linux'], ['Guide', 'Usage']]);
    expect(chunks[2].text).toBe('### Linux\n\nUse apt.');
    for (const c of chunks) expect(text.slice(c.start, c.end)).toBe(c.text);
  });

  it('never splits a fenced code block, even one larger than the limit', () => {
    const code = Array.from({ length: 60 }, (_, i) => `const line${i} = ${i}; // some code`).join('\n');
    const text = `# Code\n\nBefore the code comes a paragraph of prose.\n\n\`\`\`ts\n${code}\n\`\`\`\n\nAfter the code.`;
    const chunks = chunkDocument(md(text), { maxChars: 300 });
    const withFence = chunks.filter((c) => c.text.includes('```'));
    expect(withFence).toHaveLength(1);
    expect(withFence[0].text).toContain('```ts\n');
    expect(withFence[0].text.trimEnd().endsWith('```')).toBe(true);
    expect(withFence[0].text).toContain(code);
    // An empty line inside a fence does not end it either.
    const gap = chunkDocument(md('```\na\n\n\nb\n```\n\ntext'), { maxChars: 200 });
    expect(gap[0].text).toBe('```\na\n\n\nb\n```\n\ntext');
  });

  it('never splits a table, and bounds every other chunk', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `| code${i} | meaning of code ${i} |`).join('\n');
    const prose = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} says something useful.`).join(' ');
    const text = `# T\n\n${prose}\n\n| code | meaning |\n| --- | --- |\n${rows}\n\n${prose}`;
    const chunks = chunkDocument(md(text), { maxChars: 400 });
    const tables = chunks.filter((c) => c.text.includes('| --- |'));
    expect(tables).toHaveLength(1);
    expect(tables[0].text).toContain('| code29 | meaning of code 29 |');
    for (const c of chunks.filter((c) => !c.text.includes('|'))) expect(c.text.length).toBeLessThanOrEqual(400);
    // Long prose is cut at sentence ends.
    for (const c of chunks.filter((c) => !c.text.includes('|') && c.text.startsWith('Sentence'))) expect(c.text.endsWith('.')).toBe(true);
  });

  it('gives PDF chunks their page numbers', async () => {
    const pdf = makePdf(['Page one talks about apples.', 'Page two talks about pears.']);
    const extracted = await extractText(pdf, 'application/pdf');
    expect(extracted.pages.map((p) => p.page)).toEqual([1, 2]);
    const chunks = chunkDocument(extracted, { maxChars: 20 });
    expect(chunks.find((c) => c.text.includes('pears'))?.pageStart).toBe(2);
    expect(chunks.find((c) => c.text.includes('apples'))?.pageStart).toBe(1);
  });

  it('reduces HTML to its main content: no navigation, no scripts; tables kept', () => {
    const html = `<html><head><title>Doc</title><script>alert("x")</script></head><body>
      <nav><a href="/">Home</a> <a href="/about">About us menu</a></nav>
      <article><h1>Error codes</h1><p>${'The gateway answers these codes when authentication fails. '.repeat(5)}</p>
      <table><thead><tr><th>Code</th><th>Meaning</th></tr></thead><tbody><tr><td>ERR_AUTH_401</td><td>token missing</td></tr></tbody></table></article>
      <footer>Copyright footer</footer><script>track()</script></body></html>`;
    const out = htmlToMarkdown(html);
    expect(out).toContain('# Error codes');
    expect(out).toMatch(/\|\s*ERR\\?_AUTH\\?_401\s*\|\s*token missing\s*\|/);
    expect(out).not.toContain('alert');
    expect(out).not.toContain('track()');
    expect(out).not.toContain('About us menu');
    expect(out).not.toContain('Copyright footer');
  });

  it('refuses unreadable files with a 400-class error', async () => {
    await expect(extractText(Buffer.from('%PDF-1.4\nthis is not really a pdf'), 'application/pdf')).rejects.toMatchObject({ code: 'UNREADABLE_DOCUMENT' });
    await expect(extractText(Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'text/plain')).rejects.toMatchObject({ code: 'UNREADABLE_DOCUMENT' });
    await expect(extractText(Buffer.from('   '), 'text/markdown')).rejects.toMatchObject({ code: 'UNREADABLE_DOCUMENT' });
  });
});
