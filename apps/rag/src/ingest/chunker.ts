import type { ExtractedText, PageSpan } from './extract';

/** One chunk of a document: a contiguous range of the extracted text, never cutting a code fence or table. */
export interface Chunk {
  ordinal: number;
  /** Exactly `source.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  /** The headings the chunk sits under, outermost first. */
  headingPath: string[];
  /** PDF pages the chunk spans (1-based), 0 without pages. */
  pageStart: number;
  pageEnd: number;
}

export interface ChunkOptions {
  /** Largest chunk in characters; only a single code fence or table may exceed it (they are never split). */
  maxChars: number;
}

type BlockKind = 'heading' | 'fence' | 'table' | 'text';

interface Block {
  kind: BlockKind;
  start: number;
  end: number;
  /** Heading level and title (kind heading). */
  level?: number;
  title?: string;
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE_OPEN = /^[ ]{0,3}(`{3,}|~{3,})/;
const TABLE_ROW = /^\s*\|.*\|\s*$|^[^|\n]*\|[^|\n]*\|/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

interface Line {
  text: string;
  start: number;
  /** Offset after the line's text (before its newline). */
  end: number;
}

function linesOf(source: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start <= source.length) {
    const nl = source.indexOf('\n', start);
    const end = nl === -1 ? source.length : nl;
    lines.push({ text: source.slice(start, end), start, end });
    if (nl === -1) break;
    start = nl + 1;
  }
  return lines;
}

/** Splits the text into blocks: headings, fenced code, tables, and paragraphs (runs of non-blank lines). */
function blocksOf(source: string, markdown: boolean): Block[] {
  const lines = linesOf(source);
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.text.trim()) {
      i++;
      continue;
    }
    if (markdown) {
      const fence = FENCE_OPEN.exec(line.text);
      if (fence) {
        // The fence closes on a line of the same character, at least as long; an unclosed fence runs to the end.
        const marker = fence[1];
        const close = new RegExp(`^[ ]{0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
        let j = i + 1;
        while (j < lines.length && !close.test(lines[j].text)) j++;
        const last = lines[Math.min(j, lines.length - 1)];
        blocks.push({ kind: 'fence', start: line.start, end: last.end });
        i = j + 1;
        continue;
      }
      const heading = HEADING.exec(line.text);
      if (heading) {
        blocks.push({ kind: 'heading', start: line.start, end: line.end, level: heading[1].length, title: heading[2].trim() });
        i++;
        continue;
      }
      if (TABLE_ROW.test(line.text) && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1].text)) {
        let j = i + 2;
        while (j < lines.length && lines[j].text.trim() && lines[j].text.includes('|')) j++;
        blocks.push({ kind: 'table', start: line.start, end: lines[j - 1].end });
        i = j;
        continue;
      }
    }
    // A paragraph: up to a blank line, or (Markdown) up to the next heading, fence or table.
    let j = i + 1;
    while (j < lines.length && lines[j].text.trim()) {
      if (markdown && (FENCE_OPEN.test(lines[j].text) || HEADING.test(lines[j].text))) break;
      if (markdown && TABLE_ROW.test(lines[j].text) && j + 1 < lines.length && TABLE_SEPARATOR.test(lines[j + 1].text)) break;
      j++;
    }
    blocks.push({ kind: 'text', start: line.start, end: lines[j - 1].end });
    i = j;
  }
  return blocks;
}

/** Where to end a piece of text that starts at `start` and may take `budget` characters: a sentence end, else a space. */
function cutPoint(source: string, start: number, budget: number): number {
  const window = source.slice(start, start + budget);
  let cut = -1;
  const sentenceEnd = /[.!?;:](\s+)/g;
  for (let m = sentenceEnd.exec(window); m; m = sentenceEnd.exec(window)) {
    if (m.index + 1 >= budget / 3) cut = m.index + 1;
  }
  if (cut === -1) {
    const space = window.lastIndexOf(' ');
    cut = space > budget / 3 ? space : budget;
  }
  return start + cut;
}

function pagesOf(pages: PageSpan[], start: number, end: number): [number, number] {
  if (pages.length === 0) return [0, 0];
  let first = 0;
  let last = 0;
  for (const p of pages) {
    if (p.end > start && p.start < end) {
      if (!first) first = p.page;
      last = p.page;
    }
  }
  if (!first) {
    // Between pages (the separator): the page before.
    const before = pages.filter((p) => p.start <= start).pop() ?? pages[0];
    first = last = before.page;
  }
  return [first, last];
}

/**
 * Structure-aware chunks: a heading starts a new chunk and every chunk keeps the path of
 * headings above it; paragraphs are packed up to `maxChars`; a code fence or table is never
 * split (an oversized one is a chunk of its own); an over-long paragraph is cut at sentence ends.
 */
export function chunkDocument(doc: ExtractedText, options: ChunkOptions): Chunk[] {
  const { text: source } = doc;
  const maxChars = options.maxChars;
  const chunks: Chunk[] = [];
  const path: { level: number; title: string }[] = [];
  let current: Block[] = [];
  let currentPath: string[] = [];
  let onlyHeadings = true;

  const flush = () => {
    if (current.length === 0) return;
    const start = current[0].start;
    const end = current[current.length - 1].end;
    const [pageStart, pageEnd] = pagesOf(doc.pages, start, end);
    chunks.push({ ordinal: chunks.length, text: source.slice(start, end), start, end, headingPath: currentPath, pageStart, pageEnd });
    current = [];
    onlyHeadings = true;
  };
  const add = (block: Block) => {
    if (current.length === 0) currentPath = path.map((h) => h.title);
    current.push(block);
    if (block.kind !== 'heading') onlyHeadings = false;
  };
  /** Characters the current chunk would have if it ran to `end`. */
  const sizeTo = (end: number, start: number) => end - (current.length ? current[0].start : start);
  // PDF chunks stay within a page (so a citation names one page) unless one paragraph spans two.
  const pageAt = (offset: number) => (doc.pages.length ? pagesOf(doc.pages, offset, offset + 1)[0] : 0);

  for (const block of blocksOf(source, doc.markdown)) {
    if (current.length && doc.pages.length && pageAt(block.start) !== pageAt(current[0].start)) flush();
    if (block.kind === 'heading') {
      // A heading opens a new section; headings with nothing under them yet stay with what follows.
      if (!onlyHeadings) flush();
      while (path.length && path[path.length - 1].level >= (block.level ?? 1)) path.pop();
      path.push({ level: block.level ?? 1, title: block.title ?? '' });
      current.push(block);
      currentPath = path.map((h) => h.title);
      continue;
    }
    if (block.kind !== 'text') {
      // Fences and tables are atomic: they move to a new chunk rather than being cut.
      if (!onlyHeadings && sizeTo(block.end, block.start) > maxChars) flush();
      add(block);
      if (sizeTo(block.end, block.start) >= maxChars) flush();
      continue;
    }
    let start = block.start;
    while (start < block.end) {
      let budget = maxChars - (current.length ? start - current[0].start : 0);
      if (budget < Math.min(200, maxChars / 4)) {
        if (!onlyHeadings) {
          flush();
          continue;
        }
        budget = Math.max(budget, Math.min(200, maxChars / 4)); // long headings: the chunk may overrun by them only
      }
      const end = block.end - start <= budget ? block.end : cutPoint(source, start, budget);
      add({ kind: 'text', start, end });
      start = end;
      while (start < block.end && /\s/.test(source[start])) start++;
      if (start < block.end) flush();
    }
  }
  flush();
  return chunks;
}
