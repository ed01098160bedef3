import type TurndownService from 'turndown';
import { Worker } from 'node:worker_threads';
import { ValidationError } from '@aether/service-kit';

export const MIME_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf'] as const;
export type MimeType = (typeof MIME_TYPES)[number];

/** Where a PDF page starts in the extracted text (1-based page numbers). */
export interface PageSpan {
  page: number;
  start: number;
  end: number;
}

/** A document reduced to text: Markdown structure (headings, fences, tables) where it had any. */
export interface ExtractedText {
  text: string;
  /** True when `text` is Markdown (markdown and HTML sources): the chunker follows its structure. */
  markdown: boolean;
  /** PDF only: the page each range of `text` came from. */
  pages: PageSpan[];
}

/** The 400 an unreadable file gets (never a 500): bad encoding, a corrupt PDF, no text at all. */
export class UnreadableDocumentError extends ValidationError {
  constructor(reason: string) {
    super(`The document cannot be read: ${reason}`, [{ field: 'content', message: reason }], 'UNREADABLE_DOCUMENT');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new UnreadableDocumentError('is not UTF-8 text');
  }
  if (text.includes('\u0000')) throw new UnreadableDocumentError('contains NUL characters (a binary file?)');
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/**
 * The HTML stack, required with the first HTML document instead of at start-up: linkedom (with
 * htmlparser2 and entities), turndown (with domino) and Readability were ~90 ms of rag's start
 * on a slow host, for documents many collections never get (issue 16). Literal require()s, so
 * the bundler (tools/bundle-service.mjs) keeps them in the bundle and lazy.
 */
let htmlLibraries:
  | {
      Readability: typeof import('@mozilla/readability').Readability;
      parseHTML: typeof import('linkedom').parseHTML;
      TurndownService: typeof import('turndown');
      gfm: typeof import('turndown-plugin-gfm').gfm;
    }
  | undefined;
function html() {
  return (htmlLibraries ??= {
    Readability: (require('@mozilla/readability') as typeof import('@mozilla/readability')).Readability,
    parseHTML: (require('linkedom') as typeof import('linkedom')).parseHTML,
    TurndownService: require('turndown') as typeof import('turndown'),
    gfm: (require('turndown-plugin-gfm') as typeof import('turndown-plugin-gfm')).gfm,
  });
}

function turndown(): TurndownService {
  const { TurndownService, gfm } = html();
  const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
  // Core turndown drops tables; the GFM plugin keeps them as pipe tables (never split by the chunker).
  service.use(gfm);
  service.remove(['script', 'style', 'noscript', 'iframe', 'nav', 'footer', 'form']);
  return service;
}

/** HTML → its main content (Readability: navigation, ads and scripts gone) → Markdown. */
export function htmlToMarkdown(source: string): string {
  const { parseHTML, Readability } = html();
  const { document } = parseHTML(source.includes('<html') ? source : `<!doctype html><html><head></head><body>${source}</body></html>`);
  for (const el of Array.from(document.querySelectorAll('script, style, noscript, template, iframe')) as { remove(): void }[]) el.remove();
  let content: string | null | undefined;
  try {
    // Readability mutates the DOM it reads; a document too small to score keeps its body instead.
    const article = new Readability(document.cloneNode(true) as never, { charThreshold: 100 }).parse();
    content = article?.content;
    const title = article?.title?.trim();
    if (content && title && !/<h1[\s>]/i.test(content)) content = `<h1>${escapeHtml(title)}</h1>${content}`;
  } catch {
    content = undefined;
  }
  if (!content) {
    for (const el of Array.from(document.querySelectorAll('nav, header, footer, aside, form')) as { remove(): void }[]) el.remove();
    content = document.body?.innerHTML ?? '';
  }
  return turndown().turndown(content).trim();
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * pdf.js (through unpdf) runs in a worker thread: a hostile PDF can neither block the event
 * loop nor take the process's memory (resourceLimits), and a hung parse is cut off. The worker
 * is inline code, so it runs the same from dist/ and under jest.
 */
const PDF_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const { extractText, getDocumentProxy } = await import(pathToFileURL(workerData.unpdf).href);
  const pdf = await getDocumentProxy(workerData.bytes, { isEvalSupported: false, stopAtErrors: true });
  const { text } = await extractText(pdf, { mergePages: false });
  parentPort.postMessage({ pages: text });
})().catch((err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`;
const PDF_TIMEOUT_MS = 30_000;

function pdfPages(bytes: Uint8Array): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const copy = new Uint8Array(bytes); // pdf.js detaches the buffer it gets
    const worker = new Worker(PDF_WORKER, {
      eval: true,
      workerData: { unpdf: require.resolve('unpdf'), bytes: copy },
      transferList: [copy.buffer as ArrayBuffer],
      resourceLimits: { maxOldGenerationSizeMb: 512 },
      stdout: true,
      stderr: true,
    });
    const timer = setTimeout(() => void worker.terminate(), PDF_TIMEOUT_MS);
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    worker.once('message', (m: { pages?: string[]; error?: string }) => done(() => (m.pages ? resolve(m.pages) : reject(new Error(m.error)))));
    worker.once('error', (err) => done(() => reject(err)));
    worker.once('exit', (code) => done(() => reject(new Error(`pdf worker exited (${code})`))));
  });
}

/** PDF text per page; a corrupt, encrypted or hostile file is a 400. */
async function pdfToText(bytes: Uint8Array): Promise<ExtractedText> {
  if (bytes.length < 5 || Buffer.from(bytes.subarray(0, 5)).toString('latin1') !== '%PDF-') {
    throw new UnreadableDocumentError('is not a PDF file');
  }
  let pagesText: string[];
  try {
    pagesText = await pdfPages(bytes);
  } catch {
    throw new UnreadableDocumentError('is a corrupt, encrypted or unsupported PDF');
  }
  const pages: PageSpan[] = [];
  let text = '';
  pagesText.forEach((raw, i) => {
    const pageText = raw.replaceAll('\u0000', '').replace(/[ \t]+\n/g, '\n').trim();
    if (!pageText) return;
    if (text) text += '\n\n';
    pages.push({ page: i + 1, start: text.length, end: text.length + pageText.length });
    text += pageText;
  });
  return { text, markdown: false, pages };
}

/** Reduces a document of one of MIME_TYPES to text; UnreadableDocumentError when it cannot. */
export async function extractText(bytes: Uint8Array, mimeType: MimeType): Promise<ExtractedText> {
  let extracted: ExtractedText;
  switch (mimeType) {
    case 'application/pdf':
      extracted = await pdfToText(bytes);
      break;
    case 'text/html':
      extracted = { text: htmlToMarkdown(decodeText(bytes)), markdown: true, pages: [] };
      break;
    case 'text/markdown':
      extracted = { text: decodeText(bytes), markdown: true, pages: [] };
      break;
    default:
      extracted = { text: decodeText(bytes), markdown: false, pages: [] };
  }
  if (!extracted.text.trim()) throw new UnreadableDocumentError('has no text');
  return extracted;
}
