import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination';

// integration-hub owns the rules (kinds' settings, patterns, filters; it answers field
// violations); these DTOs check shapes so nothing malformed crosses gRPC, and document the API.
export const CONNECTION_KINDS = ['github', 'slack', 'discord', 'webhook'];
export const ACTION_KINDS = ['message', 'comment', 'webhook'];
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dead'];

const MAX_ENTRIES = 20;

/** An object whose values are all strings (proto map<string,string> and config JSON both need it). */
function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringRecord',
      validator: {
        validate: (value: unknown) =>
          !!value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length <= MAX_ENTRIES &&
          Object.entries(value as Record<string, unknown>).every(([k, v]) => k.length <= 100 && typeof v === 'string' && v.length <= 4096),
        defaultMessage: () => `must be an object of at most ${MAX_ENTRIES} string values`,
      },
    },
    options,
  );
}

/** `{"<dotted path>": string | number | boolean | null}`. */
function IsScalarRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isScalarRecord',
      validator: {
        validate: (value: unknown) =>
          !!value && typeof value === 'object' && !Array.isArray(value) &&
          Object.values(value as Record<string, unknown>).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)),
        defaultMessage: () => 'must be an object of {"<dotted path>": string, number, boolean or null}',
      },
    },
    options,
  );
}

const CONFIG_DOC =
  'Per kind: github {apiBaseUrl?}; slack {apiBaseUrl?, channel?}; discord {publicKey? (hex, for interactions)}; webhook {url}';
const SECRETS_DOC =
  'Write-only, encrypted at rest. Per kind: github {webhookSecret, token?}; slack {signingSecret?, botToken?, incomingWebhookUrl?}; ' +
  'discord {webhookUrl?}; webhook {signingSecret? (whsec_…; generated and shown once if absent)}';

export class CreateConnectionDto {
  @ApiProperty({ enum: CONNECTION_KINDS })
  @IsIn(CONNECTION_KINDS)
  kind!: string;

  @ApiProperty({ maxLength: 200, example: 'acme/api repository' })
  @MaxLength(200) @IsString()
  name!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: CONFIG_DOC, example: { channel: 'C0123456789' } })
  @IsOptional() @IsStringRecord()
  config?: Record<string, string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: SECRETS_DOC, example: { botToken: 'xoxb-…', signingSecret: '…' } })
  @IsOptional() @IsStringRecord()
  secrets?: Record<string, string>;
}

/** PATCH: any subset. `config` replaces the settings; `secrets` are merged, an empty value removes one. */
export class UpdateConnectionDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @MaxLength(200) @IsString()
  name?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: `Replaces the settings. ${CONFIG_DOC}` })
  @IsOptional() @IsStringRecord()
  config?: Record<string, string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Merged into the stored secrets; "" removes one' })
  @IsOptional() @IsStringRecord()
  secrets?: Record<string, string>;
}

export class ConnectionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CONNECTION_KINDS }) kind!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) config!: Record<string, string>;
  @ApiProperty({ type: [String], description: 'Names of the secrets that are set (values are never returned)' }) secrets!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Only in the answer to the create: secrets the hub generated (a webhook signingSecret). Shown once.',
  })
  generatedSecrets?: Record<string, string>;
}

export class ListConnectionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CONNECTION_KINDS })
  @IsOptional() @IsIn(CONNECTION_KINDS)
  kind?: string;
}

export class RuleActionDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'must be a UUID' })
  connectionId!: string;

  @ApiProperty({ enum: ACTION_KINDS, description: 'message: Slack or Discord; comment: GitHub issue/PR; webhook: signed POST (Standard Webhooks)' })
  @IsIn(ACTION_KINDS)
  kind!: string;

  @ApiPropertyOptional({ maxLength: 200, description: 'Slack channel (default: the connection config.channel)' })
  @IsOptional() @MaxLength(200) @IsString()
  channel?: string;

  @ApiPropertyOptional({ maxLength: 4000, description: 'Message text with {{dotted.path}} placeholders (id, type, subject, time, data.*, payload.* for webhooks)' })
  @IsOptional() @MaxLength(4000) @IsString()
  template?: string;

  @ApiPropertyOptional({ example: 'acme/api', description: 'comment: "owner/name" (default: the triggering GitHub event\'s repository)' })
  @IsOptional() @MaxLength(201) @IsString()
  repository?: string;

  @ApiPropertyOptional({ minimum: 1, description: "comment: issue or pull request number (default: the triggering GitHub event's)" })
  @IsOptional() @Max(2_147_483_647) @Min(1) @IsInt()
  issueNumber?: number;
}

export class CreateRuleDto {
  @ApiProperty({ maxLength: 200 })
  @MaxLength(200) @IsString()
  name!: string;

  @ApiProperty({ maxLength: 255, example: 'integration-hub.github.pull_request', description: 'Event type pattern: "*" one word, "#" zero or more (AMQP topic syntax)' })
  @MaxLength(255) @IsString()
  on!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { 'data.action': 'opened' }, description: 'Every dotted path must equal its value' })
  @IsOptional() @IsScalarRecord()
  filter?: Record<string, unknown>;

  @ApiProperty({ type: RuleActionDto })
  @ValidateNested() @Type(() => RuleActionDto) @IsObject() @IsDefined()
  action!: RuleActionDto;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  enabled?: boolean;
}

export class UpdateRuleDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @MaxLength(200) @IsString()
  name?: string;

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional() @MaxLength(255) @IsString()
  on?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'null or {} removes the filter' })
  @IsOptional() @IsScalarRecord()
  filter?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: RuleActionDto, description: 'Replaces the action' })
  @IsOptional() @ValidateNested() @Type(() => RuleActionDto) @IsObject()
  action?: RuleActionDto;

  @ApiPropertyOptional()
  @IsOptional() @IsBoolean()
  enabled?: boolean;
}

export class RuleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() on!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) filter!: Record<string, unknown> | null;
  @ApiProperty({ type: RuleActionDto }) action!: RuleActionDto;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class DeliveryAttemptDto {
  @ApiProperty() number!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: Number, nullable: true, description: "The target's HTTP status; null when no answer came" }) status!: number | null;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ enum: ['delivered', 'retry', 'dead'] }) outcome!: string;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) ruleId!: string;
  @ApiProperty({ format: 'uuid' }) connectionId!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt!: string | null;
}

export class DeliveryDetailDto extends DeliveryDto {
  @ApiProperty({ type: [DeliveryAttemptDto], description: 'Every attempt, oldest first' }) attemptLog!: DeliveryAttemptDto[];
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional() @IsIn(DELIVERY_STATUSES)
  status?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  ruleId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  connectionId?: string;
}

export class ReplayDeliveriesDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, default: 'dead', description: 'Delivered ones are replayed only when asked for by this status' })
  @IsOptional() @IsIn(DELIVERY_STATUSES)
  status?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  ruleId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  connectionId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after' })
  @IsOptional() @MaxLength(40) @IsString()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before' })
  @IsOptional() @MaxLength(40) @IsString()
  to?: string;
}

export class ReplayedDto {
  @ApiProperty({ description: 'How many deliveries were queued again' }) replayed!: number;
}

export class WebhookAnswerDto {
  @ApiProperty({ description: 'False when verified but of a kind nothing maps to an event (ignored)' }) accepted!: boolean;
  @ApiProperty({ description: 'True when this delivery id was seen before (nothing was done again)' }) duplicate!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'integration-hub.github.pull_request' }) eventType!: string | null;
}
