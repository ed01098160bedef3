import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';

// Shapes and types here; code-assistant owns the rules (paths, sizes, diff agreement) and answers
// field violations too.
const PATH_DOC = 'Repository-relative path ("src/app.ts"); also how the language is guessed';

export class CodeFileDto {
  @ApiProperty({ maxLength: 1024, example: 'src/app.ts', description: PATH_DOC }) @MaxLength(1024) @MinLength(1) @IsString()
  path!: string;

  @ApiProperty({ description: 'The whole file (with a diff: its new content)' }) @MinLength(1) @IsString()
  content!: string;
}

export class ReviewDto {
  @ApiProperty({ type: [CodeFileDto], minItems: 1, maxItems: 100, description: 'The files to review; with `diff`, the new contents of exactly the files it adds or changes' })
  @ValidateNested({ each: true }) @Type(() => CodeFileDto) @ArrayMaxSize(100) @ArrayMinSize(1) @IsArray()
  files!: CodeFileDto[];

  @ApiPropertyOptional({ description: 'Unified diff (git diff) of `files`: only findings on the lines it adds or changes are reported' })
  @IsOptional() @IsString()
  diff?: string;

  @ApiPropertyOptional({ example: 'typescript', description: 'Language hint; default: guessed from each path' })
  @IsOptional() @MaxLength(40) @IsString()
  language?: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'security', description: 'What to look at most' })
  @IsOptional() @MaxLength(500) @IsString()
  focus?: string;

  @ApiPropertyOptional({ default: true, description: 'Ask the model too; false = analyzer findings only' })
  @IsOptional() @IsBoolean()
  llm?: boolean;
}

export class FindingDto {
  @ApiProperty() path!: string;
  @ApiProperty({ description: '1-based' }) line!: number;
  @ApiPropertyOptional({ description: 'Last line of a finding that spans several' }) endLine?: number;
  @ApiPropertyOptional({ description: '1-based' }) column?: number;
  @ApiProperty({ enum: ['info', 'warning', 'error'] }) severity!: string;
  @ApiProperty({ example: 'eslint/no-eval', description: "`<tool>/<the tool's own rule id>`; the model's are `llm/<id>`" }) rule!: string;
  @ApiProperty({ example: 'eslint', description: 'The tool that found it; `llm` for the model' }) source!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ description: 'Replacement code or advice' }) suggestion?: string;
}

export class AnalyzerRunDto {
  @ApiProperty({ example: 'eslint' }) name!: string;
  @ApiProperty({ example: '9.39.5' }) version!: string;
  @ApiProperty({ description: 'Files it looked at' }) files!: number;
  @ApiProperty() durationMs!: number;
  @ApiPropertyOptional({ description: 'Why it did not run or what it skipped (timed out, too large, no model reachable)' }) error?: string;
}

export class ReviewResponseDto {
  @ApiProperty() summary!: string;
  @ApiProperty({ type: [FindingDto] }) findings!: FindingDto[];
  @ApiProperty({ type: [AnalyzerRunDto] }) analyzers!: AnalyzerRunDto[];
}

export class RefactorDto {
  @ApiProperty({ maxLength: 1024, description: PATH_DOC }) @MaxLength(1024) @MinLength(1) @IsString()
  path!: string;

  @ApiProperty() @MinLength(1) @IsString()
  content!: string;

  @ApiProperty({ maxLength: 4000, example: 'extract the retry loop into a function' }) @MaxLength(4000) @MinLength(1) @IsString()
  instruction!: string;
}

export class RefactorResponseDto {
  @ApiProperty({ description: 'The whole new file (it parses; TypeScript also type-checks as one file)' }) content!: string;
  @ApiProperty({ description: 'Unified diff from the input to `content`' }) diff!: string;
  @ApiProperty() explanation!: string;
}

export class TestsDto {
  @ApiProperty({ maxLength: 1024, description: PATH_DOC }) @MaxLength(1024) @MinLength(1) @IsString()
  path!: string;

  @ApiProperty() @MinLength(1) @IsString()
  content!: string;

  @ApiPropertyOptional({ example: 'jest', description: "Default: the language's usual one (jest, pytest, go test, ...)" })
  @IsOptional() @MaxLength(40) @IsString()
  framework?: string;
}

export class TestsResponseDto {
  @ApiProperty({ example: 'src/app.spec.ts', description: 'Where the test file goes' }) path!: string;
  @ApiProperty({ description: 'The test file (it parses)' }) content!: string;
}

export class ExplainDto {
  @ApiPropertyOptional({ maxLength: 1024, description: PATH_DOC }) @IsOptional() @MaxLength(1024) @MinLength(1) @IsString()
  path?: string;

  @ApiProperty() @MinLength(1) @IsString()
  content!: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'Why does this loop never end?' }) @IsOptional() @MaxLength(2000) @IsString()
  question?: string;
}

export class ExplainResponseDto {
  @ApiProperty() explanation!: string;
}
