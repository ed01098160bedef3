import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { ROLES } from '@aether/auth';

export class SetRolesDto {
  /** At least one role: security refuses an empty list too (and LAST_ADMIN for the last admin). */
  @ApiProperty({ type: [String], enum: ROLES, example: ['developer'], minItems: 1 })
  @IsIn(ROLES as unknown as string[], { each: true, message: `each value must be one of ${ROLES.join(', ')}` })
  @ArrayMaxSize(ROLES.length) @ArrayNotEmpty({ message: 'must name at least one role' }) @ArrayUnique() @IsArray()
  roles!: string[];
}
