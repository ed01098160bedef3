// Answers with checked citations: rag on real stores, ai-gateway faked on its real gRPC contract.
import { status, type Metadata } from '@grpc/grpc-js';
import amqp from 'amqplib';
import type { TestService } from '@aether/testing';
import { waitFor } from '@aether/testing';
import { NOTHING_FOUND } from '../src/answers/answer.service';
import { RagStores, ragClient, startRag } from './support/rag-app';

jest.setTimeout(120_000);

/** The numbered sources of the prompt rag sent: number → first line (the title) and text. */
function sourcesOf(prompt: string): Map<string, number> {
  const byTitle = new Map<string, number>();
  for (const m of prompt.matchAll(/^\[(\d+)\] (.+)$/gm)) byTitle.set(m[2], Number(m[1]));
  return byTitle;
}

describe('rag answers', () => {
  const stores = new RagStores();
  let service: TestService;
  let rag: ReturnType<typeof ragClient>;
  let md: Metadata;
  let userId: string;
  let amqpConn: amqp.ChannelModel;
  const events: { type: string; body: any }[] = [];

  beforeAll(async () => {
    await stores.start();
    amqpConn = await amqp.connect(stores.vhost.url);
    const ch = await amqpConn.createChannel();
    await ch.assertExchange('aether.events', 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'aether.events', 'rag.answer.#');
    await ch.consume(queue, (m) => m && events.push({ type: m.fields.routingKey, body: JSON.parse(m.content.toString()) }), { noAck: true });
    service = await startRag(stores, { RAG_ANSWER_MODEL: 'fake/chat' });
    rag = ragClient(service.grpcPort!);
    const dev = await stores.user('developer');
    userId = dev.id;
    md = dev.metadata();
    await rag.call('CreateCollection', { name: 'handbook' }, md);
    const put = (title: string, content: string) => rag.call('IngestDocument', { collection: 'handbook', title, content: Buffer.from(content), mimeType: 'text/plain' }, md);
    await put('tokens', 'Access tokens expire after fifteen minutes. Refresh tokens are single use.');
    await put('keys', 'API keys start with the prefix ak_ and never expire unless revoked.');
    await put('limits', 'The gateway allows six hundred requests per minute for each user.');
  });

  afterAll(async () => {
    rag?.close();
    await service?.close();
    await amqpConn?.close().catch(() => undefined);
    await stores.stop();
  });

  it('turns [n] markers into citations and checks every one (wrong number, unsupported claim: dropped)', async () => {
    stores.ai.options.chat = (req) => {
      const n = sourcesOf(req.messages[0].content);
      const tokens = n.get('tokens');
      const keys = n.get('keys');
      return `Access tokens expire after fifteen minutes [${tokens}]. The moon is made of cheese [${keys}]. Refresh tokens are single use [${tokens}, 9]. Unicorns approve [42].`;
    };
    const res = await rag.call<any>('Answer', { collection: 'handbook', question: 'When do access tokens and refresh tokens expire?', k: 5 }, md);
    const chat = stores.ai.chats.at(-1)!;
    expect(chat.req.model).toBe('fake/chat');
    expect(chat.authorization).toMatch(/^Bearer /); // ai-gateway is called as the user
    const tokens = sourcesOf(chat.req.messages[0].content).get('tokens');
    expect(res.grounded).toBe(true);
    expect(res.citations).toHaveLength(1);
    expect(res.citations[0]).toMatchObject({ title: 'tokens', quote: 'Access tokens expire after fifteen minutes.' });
    expect(res.droppedCitations).toBe(3);
    expect(res.answer).toBe(`Access tokens expire after fifteen minutes [${tokens}]. The moon is made of cheese. Refresh tokens are single use [${tokens}]. Unicorns approve.`);
    // Every quote is text of the chunk it names, and that chunk was retrieved.
    const search = await rag.call<any>('Search', { collection: 'handbook', query: 'When do access tokens and refresh tokens expire?', k: 5 }, md);
    for (const c of res.citations) {
      const chunk = search.results.find((r: any) => r.chunkId === c.chunkId);
      expect(chunk.text).toContain(c.quote);
    }
  });

  it('streams the answer and ends with the checked citations', async () => {
    stores.ai.options.chat = (req) => {
      const keys = sourcesOf(req.messages[0].content).get('keys');
      // The marker arrives split over two deltas.
      return ['API keys start with ', 'the prefix ak_ [', `${keys}`, ']. Bananas are blue [7].'];
    };
    const chunks = await rag.stream<any>('StreamAnswer', { collection: 'handbook', question: 'What prefix do API keys have?' }, md);
    const last = chunks.at(-1);
    expect(last.done).toBe(true);
    expect(chunks.slice(0, -1).every((c) => !c.done && c.citations.length === 0)).toBe(true);
    const text = chunks.map((c) => c.text).join('');
    expect(text).toMatch(/^API keys start with the prefix ak_ \[\d\]\. Bananas are blue\.$/);
    expect(last.citations).toEqual([expect.objectContaining({ title: 'keys', quote: 'API keys start with the prefix ak_ and never expire unless revoked.' })]);
    expect(last.droppedCitations).toBe(1);
  });

  it('answers that nothing relevant was found, with no citations and no model call', async () => {
    const before = stores.ai.chats.length;
    const res = await rag.call<any>('Answer', { collection: 'handbook', question: 'sourdough starter hydration baking' }, md);
    expect(res).toMatchObject({ answer: NOTHING_FOUND, citations: [], grounded: false });
    const streamed = await rag.stream<any>('StreamAnswer', { collection: 'handbook', question: 'sourdough starter hydration baking' }, md);
    expect(streamed.map((c) => c.text).join('')).toBe(NOTHING_FOUND);
    expect(streamed.at(-1)).toMatchObject({ done: true, citations: [], grounded: false });
    expect(stores.ai.chats.length).toBe(before);
  });

  it('maps ai-gateway failures: unavailable → UNAVAILABLE, unknown model → INVALID_ARGUMENT; unknown collection → NOT_FOUND', async () => {
    stores.ai.options.chat = () => {
      throw Object.assign(new Error('down'), { code: status.UNAVAILABLE });
    };
    await expect(rag.call('Answer', { collection: 'handbook', question: 'access tokens expire' }, md)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await expect(rag.stream('StreamAnswer', { collection: 'handbook', question: 'access tokens expire' }, md)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    stores.ai.options.chat = () => {
      throw Object.assign(new Error('no model'), { code: status.NOT_FOUND });
    };
    await expect(rag.call('Answer', { collection: 'handbook', question: 'access tokens expire', model: 'nope/nope' }, md)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(rag.call('Answer', { collection: 'missing', question: 'anything' }, md)).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('publishes rag.answer.completed for every answer', async () => {
    await waitFor(() => events.length >= 4, { timeoutMs: 15_000, what: 'answer events' });
    expect(events[0]).toMatchObject({ type: 'rag.answer.completed', body: { subject: userId, data: { collection: 'handbook', model: 'fake/chat', citations: 1, droppedCitations: 3, grounded: true } } });
    expect(events.some((e) => e.body.data.grounded === false || e.body.data.grounded === undefined)).toBe(true);
  });
});
