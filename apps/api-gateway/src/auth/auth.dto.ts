import { ApiProperty } from '@nestjs/swagger';
import { IsEmailAddress } from '@aether/service-kit';
import { IsNotEmpty, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @MaxLength(254) @IsEmailAddress({ message: 'must be an email address' })
  email!: string;

  @ApiProperty({ minLength: 10, maxLength: 256, example: 'correct horse battery' })
  @MaxLength(256) @MinLength(10) @IsString()
  password!: string;

  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100 })
  @MaxLength(100) @Matches(/\S/, { message: 'must not be blank' }) @IsString()
  name!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @MaxLength(254) @IsEmailAddress({ message: 'must be an email address' })
  email!: string;

  @ApiProperty({ example: 'correct horse battery' })
  @MaxLength(256) @IsNotEmpty() @IsString()
  password!: string;
}

export class RefreshTokenDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh' })
  @MaxLength(512) @IsNotEmpty() @IsString()
  refreshToken!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String], example: ['developer'] }) roles!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'Short-lived JWT for the Authorization header' }) accessToken!: string;
  @ApiProperty({ description: 'Opaque, single use: exchange it at /api/v1/auth/refresh' }) refreshToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: string;
  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 }) expiresIn!: number;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: [String], example: ['tasks:read', 'tasks:write'] }) permissions!: string[];
}
