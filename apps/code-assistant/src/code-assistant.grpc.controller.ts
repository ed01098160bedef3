import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import type { codeAssistantV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { AssistService } from './assist/assist.service';
import { callerOf } from './llm/caller';
import { ReviewService } from './review/review.service';

const SERVICE = 'CodeAssistantService';

/** gRPC transport of code-assistant: the caller from the verified token, the work in the domain services. */
@Controller()
export class CodeAssistantGrpcController {
  constructor(
    private readonly reviews: ReviewService,
    private readonly assist: AssistService,
  ) {}

  @GrpcMethod(SERVICE, 'Review')
  @RequirePermissions('code:use')
  async review(req: codeAssistantV1.ReviewRequest, md: Metadata): Promise<codeAssistantV1.ReviewResponse> {
    const out = await this.reviews.review(
      { files: req.files ?? [], diff: req.diff || undefined, language: req.language || undefined, focus: req.focus || undefined, llm: req.llm },
      callerOf(md),
    );
    return {
      summary: out.summary,
      findings: out.findings.map((f) => ({
        path: f.path,
        line: f.line,
        endLine: f.endLine ?? 0,
        column: f.column ?? 0,
        severity: f.severity,
        rule: f.rule,
        source: f.source,
        message: f.message,
        suggestion: f.suggestion ?? '',
      })),
      analyzers: out.analyzers.map((a) => ({ name: a.name, version: a.version, files: a.files, durationMs: a.durationMs, error: a.error ?? '' })),
    };
  }

  @GrpcMethod(SERVICE, 'Refactor')
  @RequirePermissions('code:use')
  refactor(req: codeAssistantV1.RefactorRequest, md: Metadata): Promise<codeAssistantV1.RefactorResponse> {
    return this.assist.refactor({ path: req.path, content: req.content, instruction: req.instruction }, callerOf(md));
  }

  @GrpcMethod(SERVICE, 'GenerateTests')
  @RequirePermissions('code:use')
  generateTests(req: codeAssistantV1.GenerateTestsRequest, md: Metadata): Promise<codeAssistantV1.GenerateTestsResponse> {
    return this.assist.tests({ path: req.path, content: req.content, framework: req.framework || undefined }, callerOf(md));
  }

  @GrpcMethod(SERVICE, 'Explain')
  @RequirePermissions('code:use')
  explain(req: codeAssistantV1.ExplainRequest, md: Metadata): Promise<codeAssistantV1.ExplainResponse> {
    return this.assist.explain({ path: req.path || undefined, content: req.content, question: req.question || undefined }, callerOf(md));
  }
}
