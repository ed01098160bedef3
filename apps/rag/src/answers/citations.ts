import { normalisedWords } from '../search/text-analysis';

/** A retrieved chunk as the prompt numbers it ([1] is sources[0]). */
export interface Source {
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
}

export interface CheckedCitation {
  documentId: string;
  chunkId: string;
  title: string;
  /** A sentence of the chunk, verbatim (always `source.text.includes(quote)`). */
  quote: string;
}

// [3] or [1, 2] — what the prompt asks the model to write.
const MARKER = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;
/** A `[` that may still become a marker: hold it back until it closes or clearly is not one. */
const PARTIAL_MARKER = /\[[\d\s,]{0,16}$/;

const STOP = new Set(
  'the a an and or but of to in on at for with by from as is are was were be been being it its this that these those which who what when where why how do does did can could should would will may might must not no yes you your we our they their there here than then so such into over under about also only any all each more most other some'.split(' '),
);

const contentWords = (text: string) => normalisedWords(text).filter((w) => w.length > 2 && !STOP.has(w));

/** The sentences of `text` as [start, end) ranges (ends at . ! ? or a blank line). */
function sentences(text: string): [number, number][] {
  const out: [number, number][] = [];
  const re = /[^.!?\n]+(?:[.!?]+|\n+|$)/g;
  for (let m = re.exec(text); m && m[0].length; m = re.exec(text)) {
    let s = m.index;
    let e = m.index + m[0].length;
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    if (e > s) out.push([s, e]);
  }
  return out;
}

/**
 * The passage of `source` that best supports `claim`: its sentence sharing the most content
 * words with it (ties: the earlier). Undefined when no sentence shares any — the citation
 * does not support the claim. The quote is a slice of the chunk text, never model output.
 */
export function supportingQuote(source: Source, claim: string): string | undefined {
  const claimWords = new Set(contentWords(claim));
  if (claimWords.size === 0) return undefined;
  let best: { score: number; range: [number, number] } | undefined;
  for (const range of sentences(source.text)) {
    const words = new Set(contentWords(source.text.slice(range[0], range[1])));
    let score = 0;
    for (const w of words) if (claimWords.has(w)) score++;
    if (score > 0 && (!best || score > best.score)) best = { score, range };
  }
  if (!best) return undefined;
  const quote = source.text.slice(best.range[0], best.range[1]);
  return quote.length > 500 ? quote.slice(0, 500) : quote;
}

/**
 * Follows a streamed answer, checking each `[n]` marker the moment it is complete: it must
 * name one of the numbered sources and that source must hold a sentence supporting the text
 * it follows. Markers that fail are removed from the text (the answer reads as if never
 * cited); the others become citations, each chunk once, in order of first citation.
 */
export class CitationTracker {
  private pending = '';
  /** Answer text emitted so far (markers that passed included). */
  private emitted = '';
  private readonly citations = new Map<string, CheckedCitation>();
  dropped = 0;

  constructor(private readonly sources: Source[]) {}

  /** The text to emit now for this delta (a possible marker is held back until complete). */
  feed(delta: string): string {
    this.pending += delta;
    const hold = PARTIAL_MARKER.exec(this.pending);
    const ready = hold ? this.pending.slice(0, hold.index) : this.pending;
    this.pending = hold ? this.pending.slice(hold.index) : '';
    return this.emit(ready);
  }

  /** What is left once the model is done (an unclosed `[`… is plain text). */
  finish(): string {
    const rest = this.emit(this.pending);
    this.pending = '';
    return rest;
  }

  get text(): string {
    return this.emitted;
  }

  get checked(): CheckedCitation[] {
    return [...this.citations.values()];
  }

  private emit(text: string): string {
    let out = '';
    let last = 0;
    for (const m of text.matchAll(MARKER)) {
      out += text.slice(last, m.index);
      last = m.index! + m[0].length;
      const claim = lastSentence(this.emitted + out);
      const kept = m[1].split(',').map((n) => Number(n.trim())).filter((n) => this.check(n, claim));
      if (kept.length) out += `[${kept.join(', ')}]`;
      else out = out.replace(/[ \t]+$/, '');
    }
    out += text.slice(last);
    this.emitted += out;
    return out;
  }

  private check(n: number, claim: string): boolean {
    const source = Number.isInteger(n) && n >= 1 && n <= this.sources.length ? this.sources[n - 1] : undefined;
    const quote = source ? supportingQuote(source, claim) : undefined;
    if (!source || !quote || !source.text.includes(quote)) {
      this.dropped++;
      return false;
    }
    if (!this.citations.has(source.chunkId)) {
      this.citations.set(source.chunkId, { documentId: source.documentId, chunkId: source.chunkId, title: source.title, quote });
    }
    return true;
  }
}

/** The sentence a marker follows: the text since the previous sentence end (earlier markers stripped). */
function lastSentence(text: string): string {
  const clean = text.replace(MARKER, ' ');
  const trimmed = clean.replace(/[\s.!?]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('. '), trimmed.lastIndexOf('! '), trimmed.lastIndexOf('? '), trimmed.lastIndexOf('\n'));
  return trimmed.slice(cut + 1);
}
