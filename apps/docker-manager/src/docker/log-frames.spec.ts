import { FrameDecoder, LineSplitter, LogDecoder } from './log-frames';

const frame = (type: number, text: string | Buffer) => {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('FrameDecoder', () => {
  it('splits the multiplexed stream into stdout and stderr payloads, whatever the chunking', () => {
    const wire = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(0, 'stdin\n'), frame(1, 'out two\n')]);
    for (let cut = 1; cut < wire.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
        ['stdout', 'out one\n'],
        ['stderr', 'err one\n'],
        ['stdout', 'out two\n'],
      ]);
    }
  });

  it('waits for a frame whose payload has not fully arrived', () => {
    const d = new FrameDecoder();
    const f = frame(1, 'a long line\n');
    expect(d.push(f.subarray(0, 10))).toEqual([]);
    expect(d.push(f.subarray(10)).map((x) => x.payload.toString())).toEqual(['a long line\n']);
  });
});

describe('LineSplitter', () => {
  it('joins lines split across payloads, per stream, and keeps a character split across chunks whole', () => {
    const s = new LineSplitter(false);
    const euro = Buffer.from('€', 'utf8');
    expect(s.push('stdout', Buffer.concat([Buffer.from('price 5'), euro.subarray(0, 1)]))).toEqual([]);
    expect(s.push('stderr', Buffer.from('oops\n'))).toEqual([{ stream: 'stderr', text: 'oops' }]);
    expect(s.push('stdout', Buffer.concat([euro.subarray(1), Buffer.from('\r\nnext')]))).toEqual([{ stream: 'stdout', text: 'price 5€' }]);
    expect(s.flush()).toEqual([{ stream: 'stdout', text: 'next' }]);
  });

  it('replaces invalid UTF-8 and takes the engine timestamp off the line', () => {
    const s = new LineSplitter(true);
    expect(s.push('stdout', Buffer.from([...Buffer.from('2030-01-31T17:00:00.123456789Z bad '), 0xff, 0x0a]))).toEqual([
      { stream: 'stdout', time: '2030-01-31T17:00:00.123456789Z', text: 'bad \ufffd' },
    ]);
  });
});

describe('LogDecoder', () => {
  it('reads a TTY stream (no frames) as stdout lines', () => {
    const d = new LogDecoder(true, false);
    expect(d.push(Buffer.from('one\r\ntwo\r\n'))).toEqual([
      { stream: 'stdout', text: 'one' },
      { stream: 'stdout', text: 'two' },
    ]);
  });

  it('never lets frame header bytes into a line', () => {
    const d = new LogDecoder(false, false);
    const lines = d.push(Buffer.concat([frame(1, 'x\n'), frame(2, 'y\n')]));
    expect(lines).toEqual([
      { stream: 'stdout', text: 'x' },
      { stream: 'stderr', text: 'y' },
    ]);
  });
});
