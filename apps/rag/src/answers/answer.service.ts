import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { status as GrpcStatus, type CallOptions, type Metadata } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import { AnswerCompletedEvent, type aiGatewayV1, type ragV1 } from '@aether/contracts';
import { OutboxService } from '@aether/messaging';
import { DomainError, InjectGrpcClient, PermissionDeniedError, RateLimitedError, UnavailableError, ValidationError, Violations, readGrpcError } from '@aether/service-kit';
import type { Caller } from '../common/actor';
import { RagEnv } from '../config/rag.env';
import { SearchService, type SearchHit } from '../search/search.service';
import { CitationTracker, type CheckedCitation, type Source } from './citations';

const MODEL_ID = /^[A-Za-z0-9._:-]+(\/[A-Za-z0-9._:/-]+)?$/;

/** Longest a model may take for a whole answer (the kit's default deadline is for quick RPCs). */
const ANSWER_DEADLINE_MS = 180_000;
type Call<Res> = (req: aiGatewayV1.ChatCompletionRequest, md: Metadata, options: CallOptions) => Observable<Res>;

/** What the answer says when no retrieved chunk is relevant (no model is asked, nothing is cited). */
export const NOTHING_FOUND = 'I could not find anything relevant to this question in the collection, so I cannot answer it from its documents.';

export function answerPrompt(sources: Source[]): string {
  const numbered = sources.map((s, i) => `[${i + 1}] ${s.title}\n${s.text}`).join('\n\n');
  return [
    'Answer the question using only the numbered sources below.',
    'After each sentence that uses a source, cite it as [n], the number of that source (for example [2], or [1, 3]).',
    'Cite only sources that support the sentence. Do not invent sources or numbers.',
    'If the sources do not contain the answer, say that you do not know.',
    '',
    'Sources:',
    numbered,
  ].join('\n');
}

export interface AnswerOutcome {
  answer: string;
  citations: CheckedCitation[];
  model: string;
  grounded: boolean;
  dropped: number;
}

/**
 * Answers with citations: retrieve (hybrid search), number the relevant chunks in the prompt,
 * ask ai-gateway (as the caller) and check every `[n]` the model writes (CitationTracker): it
 * must name a retrieved chunk that holds a sentence supporting the claim, which becomes the
 * quote; cited chunks must still exist when the answer ends. Failing citations are removed.
 */
@Injectable()
export class AnswerService {
  constructor(
    private readonly search: SearchService,
    @InjectGrpcClient('ai-gateway') private readonly aiGateway: aiGatewayV1.AiGatewayServiceClient,
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly env: RagEnv,
  ) {}

  /** The chunks worth showing the model: found by a shared word or identifier, or close enough in meaning. */
  relevant(hits: SearchHit[]): SearchHit[] {
    return hits.filter((h) => h.lexical || (h.similarity ?? 0) >= this.env.RAG_ANSWER_MIN_SIMILARITY);
  }

  private async prepare(caller: Caller, req: ragV1.AnswerRequest) {
    const v = new Violations();
    v.requiredText('question', req.question, 2000);
    const model = req.model || this.env.RAG_ANSWER_MODEL;
    if (!MODEL_ID.test(model) || model.length > 200) v.add('model', 'must be a model id or alias');
    v.throwIfAny();
    const { hits } = await this.search.search(
      { collection: req.collection, query: req.question, k: req.k, mode: req.mode, filter: req.filter, filters: req.filters },
      caller.metadata,
    );
    const sources: Source[] = this.relevant(hits).map((h) => ({ chunkId: h.chunkId, documentId: h.documentId, title: h.title, text: h.text }));
    const chat: aiGatewayV1.ChatCompletionRequest = {
      model,
      messages: [
        { role: 'system', content: answerPrompt(sources), name: '', toolCallId: '', toolCalls: [] },
        { role: 'user', content: req.question, name: '', toolCallId: '', toolCalls: [] },
      ],
      temperature: 0,
      stop: [],
      tools: [],
      toolChoiceJson: '',
      responseFormatJson: '',
      user: '',
    };
    return { sources, chat, model };
  }

  async answer(caller: Caller, req: ragV1.AnswerRequest): Promise<AnswerOutcome> {
    const started = Date.now();
    const { sources, chat } = await this.prepare(caller, req);
    if (sources.length === 0) return this.completed(caller, req, started, false, { answer: NOTHING_FOUND, citations: [], model: '', grounded: false, dropped: 0 }, 0);
    let res: aiGatewayV1.ChatCompletionResponse;
    try {
      const call = this.aiGateway.chatCompletion as unknown as Call<aiGatewayV1.ChatCompletionResponse>;
      res = await new Promise((resolve, reject) =>
        call.call(this.aiGateway, chat, caller.metadata, { deadline: Date.now() + ANSWER_DEADLINE_MS }).subscribe({ next: resolve, error: reject }),
      );
    } catch (err) {
      throw upstreamError(err);
    }
    const tracker = new CitationTracker(sources);
    tracker.feed(res.message?.content ?? '');
    tracker.finish();
    const { citations, gone } = await this.stillExisting(tracker.checked);
    return this.completed(caller, req, started, false, { answer: tracker.text.trim(), citations, model: res.model, grounded: true, dropped: tracker.dropped + gone }, sources.length);
  }

  /** Text deltas as the model writes them (failing markers removed), then one chunk with the checked citations. */
  streamAnswer(caller: Caller, req: ragV1.AnswerRequest): Observable<ragV1.AnswerChunk> {
    return new Observable<ragV1.AnswerChunk>((out) => {
      const started = Date.now();
      let upstream: { unsubscribe(): void } | undefined;
      let closed = false;
      const last = (outcome: AnswerOutcome) => ({ text: '', citations: outcome.citations, model: outcome.model, done: true, grounded: outcome.grounded, droppedCitations: outcome.dropped });
      (async () => {
        const { sources, chat } = await this.prepare(caller, req);
        if (sources.length === 0) {
          const outcome = await this.completed(caller, req, started, true, { answer: NOTHING_FOUND, citations: [], model: '', grounded: false, dropped: 0 }, 0);
          out.next({ text: NOTHING_FOUND, citations: [], model: '', done: false, grounded: false, droppedCitations: 0 });
          out.next(last(outcome));
          out.complete();
          return;
        }
        const tracker = new CitationTracker(sources);
        let model = '';
        const call = this.aiGateway.streamChatCompletion as unknown as Call<aiGatewayV1.ChatCompletionChunk>;
        upstream = call.call(this.aiGateway, chat, caller.metadata, { deadline: Date.now() + ANSWER_DEADLINE_MS }).subscribe({
          next: (chunk) => {
            model ||= chunk.model;
            const text = tracker.feed(chunk.content ?? '');
            if (text) out.next({ text, citations: [], model, done: false, grounded: true, droppedCitations: 0 });
          },
          error: (err) => out.error(upstreamError(err)),
          complete: () => {
            void (async () => {
              const rest = tracker.finish();
              if (rest) out.next({ text: rest, citations: [], model, done: false, grounded: true, droppedCitations: 0 });
              const { citations, gone } = await this.stillExisting(tracker.checked);
              const outcome = await this.completed(caller, req, started, true, { answer: tracker.text, citations, model, grounded: true, dropped: tracker.dropped + gone }, sources.length);
              if (!closed) {
                out.next(last(outcome));
                out.complete();
              }
            })().catch((err) => out.error(err));
          },
        });
      })().catch((err) => out.error(err));
      return () => {
        closed = true;
        upstream?.unsubscribe();
      };
    });
  }

  /** Citations whose chunk is still current (a document replaced while the model wrote loses them). */
  private async stillExisting(citations: CheckedCitation[]): Promise<{ citations: CheckedCitation[]; gone: number }> {
    if (citations.length === 0) return { citations, gone: 0 };
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM rag_chunks WHERE id = ANY($1::text[])`, [citations.map((c) => c.chunkId)]);
    const live = new Set(rows.map((r) => r.id));
    const kept = citations.filter((c) => live.has(c.chunkId));
    return { citations: kept, gone: citations.length - kept.length };
  }

  private async completed(caller: Caller, req: ragV1.AnswerRequest, started: number, stream: boolean, outcome: AnswerOutcome, retrieved: number): Promise<AnswerOutcome> {
    await this.db.transaction((m) =>
      this.outbox.publish(
        m,
        AnswerCompletedEvent,
        {
          collection: req.collection,
          model: outcome.model,
          retrieved,
          citations: outcome.citations.length,
          droppedCitations: outcome.dropped,
          grounded: outcome.grounded,
          stream,
          durationMs: Date.now() - started,
        },
        { subject: caller.userId },
      ),
    );
    return outcome;
  }
}

/** ai-gateway's failure in this service's terms (its budget and rate limits pass through). */
function upstreamError(err: unknown): Error {
  if (err instanceof DomainError) return err;
  const e = readGrpcError(err);
  switch (e.grpcCode) {
    case GrpcStatus.NOT_FOUND:
    case GrpcStatus.INVALID_ARGUMENT:
      return new ValidationError('The answering model is not available', [{ field: 'model', message: 'is not a chat model or alias of ai-gateway' }]);
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new RateLimitedError(e.message, e.retryAfterSeconds, e.code);
    case GrpcStatus.PERMISSION_DENIED:
      return new PermissionDeniedError(e.message, e.code);
    default:
      return new UnavailableError('The answering model is unavailable');
  }
}
