import { AmqpReadiness } from '@aether/messaging';
import { defineService, TypeOrmReadiness } from '@aether/service-kit';
import { CodeAssistantEnv } from './config/code-assistant.env';
import { CodeAssistantModule } from './code-assistant.module';

/**
 * The code-assistant service: code reviews grounded by static analysis (ESLint, TypeScript,
 * Ruff, ShellCheck, Dockerfile rules, tree-sitter) with the model's findings checked against the
 * code; refactors, tests and explanations through ai-gateway, generated code parsed before it
 * is returned; GitHub pull-request reviews.
 */
export const codeAssistantService = defineService({
  name: 'code-assistant',
  env: CodeAssistantEnv,
  module: CodeAssistantModule,
  grpc: true,
  readiness: [TypeOrmReadiness, AmqpReadiness],
  // A review carries its files whole (review-input.ts caps them at 16 MiB in all).
  grpcMaxReceiveBytes: 24 * 1024 * 1024,
});
