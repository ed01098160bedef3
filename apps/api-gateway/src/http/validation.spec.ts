import { ArgumentMetadata } from '@nestjs/common';
import { ValidationError } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsString, ValidateNested } from 'class-validator';
import { CreateApiKeyDto } from '../api-keys/api-keys.dto';
import { RegisterDto } from '../auth/auth.dto';
import { PageQueryDto } from './pagination';
import { createValidationPipe } from './validation';

const pipe = createValidationPipe();
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function violations(value: unknown, metatype: ArgumentMetadata['metatype']) {
  try {
    await pipe.transform(value, body(metatype));
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('VALIDATION_FAILED');
    return (err as ValidationError).violations;
  }
  throw new Error('expected a validation error');
}

const valid = { email: 'ada@example.com', password: 'long enough pw', name: 'Ada' };

describe('validation pipe', () => {
  it('accepts and transforms a valid body', async () => {
    const dto = await pipe.transform(valid, body(RegisterDto));
    expect(dto).toBeInstanceOf(RegisterDto);
    expect(dto).toEqual(valid);
  });

  it('names unknown fields', async () => {
    expect(await violations({ ...valid, isAdmin: true, extra: 1 }, RegisterDto)).toEqual([
      { field: 'isAdmin', message: 'is not a known field' },
      { field: 'extra', message: 'is not a known field' },
    ]);
  });

  it('rejects a bad email, a short password and a missing name', async () => {
    const v = await violations({ email: 'not-an-email', password: 'short' }, RegisterDto);
    expect(v).toEqual(
      expect.arrayContaining([
        { field: 'email', message: 'must be an email address' },
        { field: 'password', message: 'must be longer than or equal to 10 characters' },
        expect.objectContaining({ field: 'name' }),
      ]),
    );
  });

  it('treats a missing body as an empty object and a non-object body as invalid', async () => {
    expect(await violations(undefined, RegisterDto)).toEqual([
      { field: 'email', message: 'is required' },
      { field: 'password', message: 'is required' },
      { field: 'name', message: 'is required' },
    ]);
    for (const notObject of [[1, 2], 'text', 42, null]) {
      expect(await violations(notObject, RegisterDto)).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
    }
  });

  it('validates each element of arrays', async () => {
    expect(await violations({ name: 'k', scopes: ['tasks:read', 'root'] }, CreateApiKeyDto)).toEqual([
      { field: 'scopes', message: 'each value must be a known permission' },
    ]);
  });

  it('uses dotted paths for nested objects', async () => {
    class Inner {
      @IsString() title!: string;
    }
    class Outer {
      @ValidateNested() @Type(() => Inner) task!: Inner;
    }
    const v = await violations({ task: { title: 5, junk: 1 } }, Outer);
    expect(v).toHaveLength(2);
    expect(v).toEqual(
      expect.arrayContaining([
        { field: 'task.title', message: 'must be a string' },
        { field: 'task.junk', message: 'is not a known field' },
      ]),
    );
  });

  it('converts and bounds list queries', async () => {
    const q = await pipe.transform({ limit: '50', cursor: 'abc' }, { type: 'query', metatype: PageQueryDto });
    expect(q).toEqual({ limit: 50, cursor: 'abc' });
    for (const limit of ['0', '101', 'ten']) {
      await expect(pipe.transform({ limit }, { type: 'query', metatype: PageQueryDto })).rejects.toMatchObject({
        violations: [{ field: 'limit', message: expect.any(String) }],
      });
    }
  });
});

describe('validation messages name the real problem', () => {
  it('reports the type before length rules', async () => {
    expect(await violations({ email: 5, password: 12345678901, name: ['x'] }, RegisterDto)).toEqual([
      { field: 'email', message: 'must be an email address' },
      { field: 'password', message: 'must be a string' },
      { field: 'name', message: 'must be a string' },
    ]);
  });
});
