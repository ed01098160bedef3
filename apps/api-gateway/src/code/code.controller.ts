import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { status as GrpcStatus, type CallOptions, type Metadata } from '@grpc/grpc-js';
import { firstValueFrom, type Observable } from 'rxjs';
import type { codeAssistantV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { DomainError, InjectGrpcClient, readGrpcError } from '@aether/service-kit';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { isGrpcServiceError } from '../http/problem-details';
import {
  ExplainDto,
  ExplainResponseDto,
  RefactorDto,
  RefactorResponseDto,
  ReviewDto,
  ReviewResponseDto,
  TestsDto,
  TestsResponseDto,
  type FindingDto,
} from './code.dto';

/** Analyzers plus one model call (code-assistant bounds the model at CODE_ASSISTANT_MODEL_TIMEOUT_MS). */
const REVIEW_DEADLINE_MS = 200_000;
/** Up to two model calls (one retry when the generated code does not parse). */
const ASSIST_DEADLINE_MS = 300_000;

type WithOptions<Req, Res> = (request: Req, metadata: Metadata, options: CallOptions) => Observable<Res>;

/** code-assistant's GENERATED_CODE_INVALID: no gRPC status means 422, so these routes state it. */
class GeneratedCodeInvalidError extends DomainError {
  readonly grpcStatus = GrpcStatus.FAILED_PRECONDITION;
  readonly httpStatus = 422;
  constructor(message: string) {
    super('GENERATED_CODE_INVALID', message);
  }
}

const GENERATED_422 = { status: 422, type: ProblemDto, description: 'GENERATED_CODE_INVALID: the model\'s code did not parse (or type-check) even after one retry with the errors' };
const MODEL_503 = { type: ProblemDto, description: 'UPSTREAM_UNAVAILABLE / MODEL_NOT_CONFIGURED: no model answered' };

const toFinding = (f: codeAssistantV1.Finding): FindingDto => ({
  path: f.path,
  line: f.line,
  ...(f.endLine ? { endLine: f.endLine } : {}),
  ...(f.column ? { column: f.column } : {}),
  severity: f.severity,
  rule: f.rule,
  source: f.source,
  message: f.message,
  ...(f.suggestion ? { suggestion: f.suggestion } : {}),
});

/** Code review, refactor, tests and explain → code-assistant (CODE_ASSISTANT_GRPC_URL). */
@ApiTags('code')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/code')
export class CodeController {
  constructor(@InjectGrpcClient('code-assistant') private readonly code: codeAssistantV1.CodeAssistantServiceClient) {}

  private async call<Req, Res>(method: (req: Req, md: Metadata) => Observable<Res>, req: Req, md: Metadata, deadlineMs: number): Promise<Res> {
    const call = method as unknown as WithOptions<Req, Res>;
    try {
      return await firstValueFrom(call.call(this.code, req, md, { deadline: Date.now() + deadlineMs }));
    } catch (err) {
      if (isGrpcServiceError(err)) {
        const e = readGrpcError(err);
        if (e.code === 'GENERATED_CODE_INVALID') throw new GeneratedCodeInvalidError(e.message);
      }
      throw err;
    }
  }

  @Post('review')
  @HttpCode(200)
  @RequirePermissions('code:use')
  @ApiOperation({ summary: 'Review files or a diff: static analyzers first, then the model, whose findings are kept only when their line and quoted code check out' })
  @ApiOkResponse({ type: ReviewResponseDto })
  async review(@Body() dto: ReviewDto, @CallMetadata() md: Metadata): Promise<ReviewResponseDto> {
    const res = await this.call(
      this.code.review,
      { files: dto.files.map((f) => ({ path: f.path, content: f.content })), diff: dto.diff ?? '', language: dto.language ?? '', focus: dto.focus ?? '', llm: dto.llm },
      md,
      REVIEW_DEADLINE_MS,
    );
    return {
      summary: res.summary,
      findings: (res.findings ?? []).map(toFinding),
      analyzers: (res.analyzers ?? []).map((a) => ({ name: a.name, version: a.version, files: a.files, durationMs: a.durationMs, ...(a.error ? { error: a.error } : {}) })),
    };
  }

  @Post('refactor')
  @HttpCode(200)
  @RequirePermissions('code:use')
  @ApiOperation({ summary: 'Refactor a file by an instruction: the new content (checked to parse) and its unified diff' })
  @ApiOkResponse({ type: RefactorResponseDto })
  @ApiResponse(GENERATED_422)
  @ApiServiceUnavailableResponse(MODEL_503)
  async refactor(@Body() dto: RefactorDto, @CallMetadata() md: Metadata): Promise<RefactorResponseDto> {
    const res = await this.call(this.code.refactor, { path: dto.path, content: dto.content, instruction: dto.instruction }, md, ASSIST_DEADLINE_MS);
    return { content: res.content, diff: res.diff, explanation: res.explanation };
  }

  @Post('tests')
  @HttpCode(200)
  @RequirePermissions('code:use')
  @ApiOperation({ summary: 'Write unit tests for a file (checked to parse), with where the test file goes' })
  @ApiOkResponse({ type: TestsResponseDto })
  @ApiResponse(GENERATED_422)
  @ApiServiceUnavailableResponse(MODEL_503)
  async tests(@Body() dto: TestsDto, @CallMetadata() md: Metadata): Promise<TestsResponseDto> {
    const res = await this.call(this.code.generateTests, { path: dto.path, content: dto.content, framework: dto.framework ?? '' }, md, ASSIST_DEADLINE_MS);
    return { path: res.path, content: res.content };
  }

  @Post('explain')
  @HttpCode(200)
  @RequirePermissions('code:use')
  @ApiOperation({ summary: 'Explain code, or answer a question about it' })
  @ApiOkResponse({ type: ExplainResponseDto })
  @ApiServiceUnavailableResponse(MODEL_503)
  async explain(@Body() dto: ExplainDto, @CallMetadata() md: Metadata): Promise<ExplainResponseDto> {
    const res = await this.call(this.code.explain, { path: dto.path ?? '', content: dto.content, question: dto.question ?? '' }, md, ASSIST_DEADLINE_MS);
    return { explanation: res.explanation };
  }
}
