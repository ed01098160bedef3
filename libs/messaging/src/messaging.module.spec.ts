import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BaseEnv, ENV_TOKEN, EnvValidationError, loadEnv, SERVICE_NAME } from '@aether/service-kit';
import { MessagingModule } from './messaging.module';
import { MessagingEnv, MESSAGING_OPTIONS, type MessagingModuleOptions } from './messaging.options';

/** Stands in for the kit's ServiceKitModule: validated env and service name. */
@Global()
@Module({})
class KitStandIn {
  static of(env: object, name?: string): DynamicModule {
    const providers = [{ provide: ENV_TOKEN, useValue: env }, ...(name ? [{ provide: SERVICE_NAME, useValue: name }] : [])];
    return { module: KitStandIn, providers, exports: providers.map((p) => p.provide) };
  }
}

const optionsOf = async (imports: DynamicModule[]) => {
  const ref = await Test.createTestingModule({ imports }).compile();
  const options = ref.get<MessagingModuleOptions>(MESSAGING_OPTIONS);
  await ref.close();
  return options;
};

describe('MessagingModule.forRoot()', () => {
  it('takes RABBITMQ_URL from the validated env and the source from the service name', async () => {
    process.env.RABBITMQ_URL = 'amqp://not-this-one'; // never read
    try {
      const options = await optionsOf([KitStandIn.of({ RABBITMQ_URL: 'amqp://broker:5672/v' }, 'task-manager'), MessagingModule.forRoot({ publishTimeoutMs: 1234 })]);
      expect(options).toMatchObject({ url: 'amqp://broker:5672/v', source: 'task-manager', publishTimeoutMs: 1234 });
    } finally {
      delete process.env.RABBITMQ_URL;
    }
  });

  it('fails start-up naming RABBITMQ_URL, or the app name, when they are missing', async () => {
    await expect(optionsOf([KitStandIn.of({}, 'analytics'), MessagingModule.forRoot()])).rejects.toThrow(/RABBITMQ_URL/);
    await expect(optionsOf([KitStandIn.of({ RABBITMQ_URL: 'amqp://b' }), MessagingModule.forRoot()])).rejects.toThrow(/source must be the app name/);
  });
});

describe('MessagingEnv', () => {
  class AppEnv extends MessagingEnv(BaseEnv) {}

  it('requires an amqp(s) RABBITMQ_URL without echoing it', () => {
    expect(loadEnv(AppEnv, { RABBITMQ_URL: 'amqps://u:p@host/vh' }).RABBITMQ_URL).toBe('amqps://u:p@host/vh');
    expect(() => loadEnv(AppEnv, {})).toThrow(/RABBITMQ_URL: is missing/);
    let err: EnvValidationError | undefined;
    try {
      loadEnv(AppEnv, { RABBITMQ_URL: 'http://secret-host' });
    } catch (e) {
      err = e as EnvValidationError;
    }
    expect(err?.problems.map((p) => p.variable)).toEqual(['RABBITMQ_URL']);
    expect(err?.message).not.toContain('secret-host');
  });
});
