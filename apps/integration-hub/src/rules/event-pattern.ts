/** An event type pattern in RabbitMQ topic syntax: dot-separated words, `*` = one word, `#` = zero or more. */
export const EVENT_PATTERN = /^([a-z0-9_-]+|\*|#)(\.([a-z0-9_-]+|\*|#))*$/;

/** True when `type` matches `pattern` exactly as a topic exchange binding would route it. */
export function matchesEventPattern(pattern: string, type: string): boolean {
  const p = pattern.split('.');
  const t = type.split('.');
  // reachable[j]: the pattern prefix seen so far can consume exactly the first j words.
  let reachable = new Array<boolean>(t.length + 1).fill(false);
  reachable[0] = true;
  for (const word of p) {
    const next = new Array<boolean>(t.length + 1).fill(false);
    for (let j = 0; j <= t.length; j++) {
      if (!reachable[j]) continue;
      if (word === '#') {
        for (let k = j; k <= t.length; k++) next[k] = true;
      } else if (j < t.length && (word === '*' || word === t[j])) {
        next[j + 1] = true;
      }
    }
    reachable = next;
  }
  return reachable[t.length];
}
