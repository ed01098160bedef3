import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { ROLES } from '@aether/auth';

export class SetRolesDto {
  @ApiProperty({ type: [String], enum: ROLES, example: ['developer'] })
  @IsIn(ROLES as unknown as string[], { each: true, message: `each value must be one of ${ROLES.join(', ')}` })
  @ArrayMaxSize(ROLES.length) @ArrayUnique() @IsArray()
  roles!: string[];
}
