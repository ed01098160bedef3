import { eventContext, matchesFilter, renderTemplate } from './event-context';
import { EVENT_PATTERN, matchesEventPattern } from './event-pattern';

describe('event type patterns (AMQP topic syntax)', () => {
  it.each([
    ['integration-hub.github.*', 'integration-hub.github.pull_request', true],
    ['integration-hub.github.*', 'integration-hub.github', false],
    ['integration-hub.*', 'integration-hub.github.push', false],
    ['integration-hub.#', 'integration-hub.github.push', true],
    ['integration-hub.#', 'integration-hub', true],
    ['#', 'task-manager.task.created', true],
    ['#.created', 'task-manager.task.created', true],
    ['*.task.#', 'task-manager.task.created', true],
    ['*.task.#', 'task-manager.schedule.created', false],
    ['task-manager.task.created', 'task-manager.task.created', true],
    ['task-manager.task.created', 'task-manager.task.updated', false],
    ['#.#', 'a', true],
    ['*.*', 'a', false],
  ])('%s on %s → %s', (pattern, type, expected) => {
    expect(EVENT_PATTERN.test(pattern)).toBe(true);
    expect(matchesEventPattern(pattern, type)).toBe(expected);
  });

  it('refuses malformed patterns', () => {
    for (const bad of ['', '.', 'a..b', 'a.*x', 'A.b', 'a b']) expect(EVENT_PATTERN.test(bad)).toBe(false);
  });
});

describe('filters and templates', () => {
  const context = eventContext({
    id: 'e1',
    type: 'integration-hub.github.pull_request',
    source: 'integration-hub',
    data: { action: 'opened', repository: 'acme/api', payloadJson: JSON.stringify({ pull_request: { number: 7, title: 'Fix <b> & "it"' } }) },
  });

  it('matches dotted paths into data and the provider payload', () => {
    expect(matchesFilter({ 'data.action': 'opened', 'payload.pull_request.number': 7 }, context)).toBe(true);
    expect(matchesFilter({ 'data.action': 'closed' }, context)).toBe(false);
    expect(matchesFilter({ 'payload.pull_request.number': '7' }, context)).toBe(false);
    // Only own properties: nothing inherited (constructor, __proto__) is reachable.
    expect(matchesFilter({ 'payload.constructor.name': 'Object' }, context)).toBe(false);
  });

  it('renders placeholders, escaping only the inserted values', () => {
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(renderTemplate('<b>PR</b> #{{payload.pull_request.number}}: {{ payload.pull_request.title }}{{missing}}', context, escape)).toBe(
      '<b>PR</b> #7: Fix &lt;b&gt; &amp; "it"',
    );
  });
});
