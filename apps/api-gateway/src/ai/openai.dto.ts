import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// OpenAPI description of the OpenAI-compatible routes (the bodies are checked by openai-mapping.ts,
// which answers OpenAI's error shape; these classes only document them).

class OpenAiErrorBodyDto {
  @ApiProperty({ example: "The model 'nope' does not exist or is not configured" }) message!: string;
  @ApiProperty({ example: 'invalid_request_error' }) type!: string;
  @ApiProperty({ type: String, nullable: true, example: 'model' }) param!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'model_not_found' }) code!: string | null;
}

/** OpenAI's error shape, answered by every /v1/* route (not problem+json). */
export class OpenAiErrorDto {
  @ApiProperty({ type: OpenAiErrorBodyDto }) error!: OpenAiErrorBodyDto;
}

class ChatMessageDto {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant', 'tool'] }) role!: string;
  @ApiPropertyOptional({ description: 'Text, or an array of {type:"text", text} parts; null for an assistant message with tool_calls', nullable: true, type: String })
  content?: string | null;
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional({ description: 'role tool: the call this answers' }) tool_call_id?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'role assistant: [{id, type:"function", function:{name, arguments}}]' })
  tool_calls?: unknown[];
}

class StreamOptionsDto {
  @ApiPropertyOptional({ description: 'Send a last chunk with choices: [] and the usage' }) include_usage?: boolean;
}

export class ChatCompletionRequestDto {
  @ApiProperty({ example: 'fast', description: '`<provider>/<model>` or an alias' }) model!: string;
  @ApiProperty({ type: [ChatMessageDto] }) messages!: ChatMessageDto[];
  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) top_p?: number;
  @ApiPropertyOptional({ minimum: 1 }) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 1 }) max_completion_tokens?: number;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }) stop?: string | string[];
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: '[{type:"function", function:{name, description?, parameters?}}]' }) tools?: unknown[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'object' }] }) tool_choice?: unknown;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: '{type:"json_object"} or a json_schema object' }) response_format?: unknown;
  @ApiPropertyOptional({ description: 'End-user tag forwarded to the provider' }) user?: string;
  @ApiPropertyOptional({ description: 'Answer text/event-stream chat.completion.chunk events ending with data: [DONE]' }) stream?: boolean;
  @ApiPropertyOptional({ type: StreamOptionsDto }) stream_options?: StreamOptionsDto;
  @ApiPropertyOptional({ enum: [1] }) n?: number;
  @ApiPropertyOptional() parallel_tool_calls?: boolean;
}

class UsageDto {
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
}

class ChoiceDto {
  @ApiProperty() index!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{role:"assistant", content, tool_calls?}' }) message!: Record<string, unknown>;
  @ApiProperty({ enum: ['stop', 'length', 'tool_calls', 'content_filter'] }) finish_reason!: string;
}

export class ChatCompletionDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['chat.completion'] }) object!: string;
  @ApiProperty({ description: 'Unix seconds' }) created!: number;
  @ApiProperty({ description: 'The `<provider>/<model>` that served' }) model!: string;
  @ApiProperty({ type: [ChoiceDto] }) choices!: ChoiceDto[];
  @ApiProperty({ type: UsageDto }) usage!: UsageDto;
}

export class EmbeddingsRequestDto {
  @ApiProperty({ example: 'local/use-512' }) model!: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }) input!: string | string[];
  @ApiPropertyOptional({ enum: ['float', 'base64'], description: 'base64: little-endian float32' }) encoding_format?: string;
  @ApiPropertyOptional() user?: string;
}

class EmbeddingDto {
  @ApiProperty({ enum: ['embedding'] }) object!: string;
  @ApiProperty() index!: number;
  @ApiProperty({ oneOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string' }] }) embedding!: number[] | string;
}

class EmbeddingsUsageDto {
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() total_tokens!: number;
}

export class EmbeddingsDto {
  @ApiProperty({ enum: ['list'] }) object!: string;
  @ApiProperty({ type: [EmbeddingDto] }) data!: EmbeddingDto[];
  @ApiProperty() model!: string;
  @ApiProperty({ type: EmbeddingsUsageDto }) usage!: EmbeddingsUsageDto;
}

export class ModelDto {
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) id!: string;
  @ApiProperty({ enum: ['model'] }) object!: string;
  @ApiProperty() created!: number;
  @ApiProperty({ example: 'openai' }) owned_by!: string;
}

export class ModelListDto {
  @ApiProperty({ enum: ['list'] }) object!: string;
  @ApiProperty({ type: [ModelDto] }) data!: ModelDto[];
}
