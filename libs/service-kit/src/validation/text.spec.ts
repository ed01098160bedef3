import { charLength, findMalformedText, isWellFormedText, textProblem } from './text';

describe('text rules', () => {
  it('count code points, not UTF-16 units', () => {
    expect(charLength('😀')).toBe(1);
    expect('😀'.length).toBe(2);
    expect(charLength('añ😀b')).toBe(4);
    expect(textProblem('😀'.repeat(5), { max: 5 })).toBeUndefined();
    expect(textProblem('😀'.repeat(6), { max: 5 })).toBe('must be at most 5 characters');
  });

  it('tell lone surrogates from pairs', () => {
    expect(isWellFormedText('😀 \ud83d\ude00')).toBe(true);
    for (const s of ['\ud800', 'x\ud800y', '\udc00', 'a\ude00b', '\ud83d', '\ude00\ud83d']) expect(isWellFormedText(s)).toBe(false);
  });

  it('refuse NUL and lone surrogates, which would not be stored as sent', () => {
    expect(textProblem('a\u0000b', { max: 10 })).toBe('must not contain NUL (\\u0000) characters');
    expect(textProblem('x\ud800y', { max: 10 })).toMatch(/well-formed Unicode/);
    expect(textProblem('', { max: 10, min: 1 })).toBe('is required');
    expect(textProblem('ab', { max: 10, min: 3 })).toBe('must be at least 3 characters');
    // Everything else is stored exactly: BOM, other control characters, combining marks.
    expect(textProblem('\ufeffa\u0001\u0301', { max: 10 })).toBeUndefined();
  });

  it('findMalformedText names the first malformed key or value anywhere in a JSON value', () => {
    expect(findMalformedText({ title: 'ok', labels: ['a', 'b'], n: 1, x: null })).toBeUndefined();
    expect(findMalformedText({ title: 'x\ud800y' })).toBe('title');
    expect(findMalformedText({ a: { list: ['ok', { name: '\udc00' }] } })).toBe('a.list[1].name');
    expect(findMalformedText({ ['k\ud800']: 1 })).toBe('k\ud800');
    expect(findMalformedText('\ud800')).toBe('(body)');
    // Iterative: deep nesting cannot overflow the stack.
    let deep: unknown = 'x\ud800';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findMalformedText(deep)).toMatch(/^\[0\]/);
  });
});
