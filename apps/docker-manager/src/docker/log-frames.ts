import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogStream } from '../containers/container-backend';

/**
 * The engine's multiplexed log stream (containers without a TTY): frames of an 8-byte header —
 * stream type (1 stdout, 2 stderr; 0 stdin), three zero bytes, big-endian payload length — then
 * the payload. Chunks may split a header or a payload anywhere, so the decoder keeps the rest.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ stream: LogStream; payload: Buffer }> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Array<{ stream: LogStream; payload: Buffer }> = [];
    let offset = 0;
    while (this.pending.length - offset >= 8) {
      const type = this.pending[offset];
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - 8 < size) break;
      const payload = this.pending.subarray(offset + 8, offset + 8 + size);
      // stdin (0) never carries container output; anything else unknown is treated as stdout.
      if (type !== 0) frames.push({ stream: type === 2 ? 'stderr' : 'stdout', payload });
      offset += 8 + size;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/**
 * Turns each stream's bytes into whole lines (UTF-8, invalid bytes replaced, a multi-byte
 * character split across chunks kept whole), stripping "\r\n"/"\n" and, when the engine was asked
 * for timestamps, the leading RFC 3339 time.
 */
export class LineSplitter {
  private readonly decoders = new Map<LogStream, StringDecoder>();
  private readonly partial = new Map<LogStream, string>();

  constructor(private readonly timestamps: boolean) {}

  push(stream: LogStream, payload: Buffer): LogLine[] {
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new StringDecoder('utf8')));
    const text = (this.partial.get(stream) ?? '') + decoder.write(payload);
    const parts = text.split('\n');
    this.partial.set(stream, parts.pop() ?? '');
    return parts.map((line) => this.toLine(stream, line));
  }

  /** The unterminated rest of each stream (a last line without a line break). */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const [stream, decoder] of this.decoders) {
      const rest = (this.partial.get(stream) ?? '') + decoder.end();
      if (rest.length > 0) lines.push(this.toLine(stream, rest));
    }
    this.partial.clear();
    return lines;
  }

  private toLine(stream: LogStream, raw: string): LogLine {
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let time: string | undefined;
    if (this.timestamps) {
      const m = TIMESTAMP.exec(text);
      if (m) {
        time = m[1];
        text = text.slice(m[0].length);
      }
    }
    return time === undefined ? { stream, text } : { stream, text, time };
  }
}

/** Log lines out of engine output: multiplexed frames, or (TTY containers) one raw stdout stream. */
export class LogDecoder {
  private readonly frames = new FrameDecoder();
  private readonly lines: LineSplitter;

  constructor(private readonly tty: boolean, timestamps: boolean) {
    this.lines = new LineSplitter(timestamps);
  }

  push(chunk: Buffer): LogLine[] {
    if (this.tty) return this.lines.push('stdout', chunk);
    return this.frames.push(chunk).flatMap((f) => this.lines.push(f.stream, f.payload));
  }

  flush(): LogLine[] {
    return this.lines.flush();
  }
}
