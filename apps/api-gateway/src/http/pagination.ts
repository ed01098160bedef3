import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_PAGE_LIMIT, MAX_CURSOR_LENGTH, MAX_PAGE_LIMIT } from '@aether/service-kit';

/** `?limit=&cursor=` of every list endpoint; extend it for lists with filters. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  // Only plain digits become a number: Number() would also take '0x10', '1e1' or ' 5'.
  @IsOptional() @Transform(({ value }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value))
  @Max(MAX_PAGE_LIMIT) @Min(1) @IsInt()
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  @IsOptional() @MaxLength(MAX_CURSOR_LENGTH) @IsString()
  cursor?: string;
}

/** The `PageRequest` of common.proto for a validated query. */
export function pageRequest(q: PageQueryDto): { limit: number; cursor: string } {
  return { limit: q.limit ?? DEFAULT_PAGE_LIMIT, cursor: q.cursor ?? '' };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A gRPC list answer (`items`, `next_cursor` with "" meaning none) → the REST page shape. */
export function toPage<S, T>(res: { items?: S[]; nextCursor?: string }, map: (item: S) => T): Page<T> {
  return { items: (res.items ?? []).map(map), nextCursor: res.nextCursor ? res.nextCursor : null };
}

/** Proto3 strings use "" for unset; REST uses null. */
export function orNull(value: string | undefined | null): string | null {
  return value ? value : null;
}

/** OpenAPI shape of `{items, nextCursor}` for a given item class. */
export function PageOf<T>(item: new () => T, name: string) {
  class PageDto {
    @ApiProperty({ type: [item] }) items!: T[];
    @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: name });
  return PageDto;
}
