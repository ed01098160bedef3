import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { IsString } from 'class-validator';
import { BaseEnv, defineService, ENV_TOKEN } from '@aether/service-kit';
import { startTestService } from './test-service';

class GreeterEnv extends BaseEnv {
  @IsString() GREETING!: string;
}

@Injectable()
class Greeter {
  constructor(private readonly env: GreeterEnv) {}
  greet(): string {
    return this.env.GREETING;
  }
}

@Controller()
class GreeterController {
  constructor(private readonly greeter: Greeter) {}
  @Get('/hello')
  hello() {
    return { greeting: this.greeter.greet() };
  }
}

@Module({ providers: [Greeter], controllers: [GreeterController] })
class GreeterModule {}

const greeterService = defineService({ name: 'greeter', env: GreeterEnv, module: GreeterModule, grpc: false });

describe('startTestService', () => {
  it('boots the definition with the given env on a free port, without reading or writing process.env', async () => {
    process.env.GREETING = 'from process.env'; // must be ignored
    const before = { ...process.env };
    try {
      const svc = await startTestService(greeterService, { env: { GREETING: 'hello' } });
      try {
        expect(svc.httpPort).toBeGreaterThan(0);
        expect(svc.get<GreeterEnv>(ENV_TOKEN).GREETING).toBe('hello');
        expect(await (await fetch(`http://127.0.0.1:${svc.httpPort}/hello`)).json()).toEqual({ greeting: 'hello' });
        expect((await fetch(`http://127.0.0.1:${svc.httpPort}/readyz`)).status).toBe(200);
        expect(process.env).toEqual(before);
      } finally {
        await svc.close();
      }
    } finally {
      delete process.env.GREETING;
    }
  });

  it('replaces providers by value and rejects a bad env naming the variable', async () => {
    const svc = await startTestService(greeterService, { env: { GREETING: 'x' }, http: false, overrides: [{ provide: Greeter, useValue: { greet: () => 'stub' } }] });
    try {
      expect(svc.get(Greeter).greet()).toBe('stub');
    } finally {
      await svc.close();
    }
    await expect(startTestService(greeterService, { env: {} })).rejects.toThrow(/GREETING: is missing/);
  });
});
