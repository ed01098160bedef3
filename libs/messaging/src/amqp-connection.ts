import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AmqpConnectionManager, AmqpConnectionManagerClass, ChannelWrapper, CreateChannelOpts } from 'amqp-connection-manager';
import { MESSAGING_OPTIONS, MessagingModuleOptions, redactUrl } from './messaging.options';

/**
 * The app's single broker connection. amqp-connection-manager reconnects on its own and re-runs
 * every channel's setup (topology, consumers) after a reconnect.
 */
@Injectable()
export class AmqpConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  readonly manager: AmqpConnectionManager;
  private closed = false;

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions) {
    const heartbeat = options.heartbeatSeconds ?? 5;
    this.manager = new AmqpConnectionManagerClass([options.url], {
      heartbeatIntervalInSeconds: heartbeat,
      reconnectTimeInSeconds: (options.reconnectDelayMs ?? 1000) / 1000,
      connectionOptions: { timeout: 5000 },
    });
    let wasDown = false;
    this.manager.on('connect', () => {
      if (wasDown) this.logger.log(`Reconnected to RabbitMQ ${redactUrl(options.url)}`);
      wasDown = false;
    });
    this.manager.on('disconnect', ({ err }) => {
      if (!this.closed) this.logger.warn(`Lost RabbitMQ connection: ${err?.message ?? 'closed'}`);
      wasDown = true;
    });
    this.manager.on('connectFailed', ({ err }) => {
      if (!wasDown) this.logger.warn(`Cannot connect to RabbitMQ ${redactUrl(options.url)}: ${err.message}`);
      wasDown = true;
    });
  }

  async onModuleInit(): Promise<void> {
    const timeout = this.options.startupConnectTimeoutMs ?? 5000;
    const first = this.manager.connect(timeout > 0 ? { timeout } : {});
    if (timeout <= 0) {
      first.catch(() => undefined);
      return;
    }
    // Starting unready is fine (readiness says so and reconnects go on); only log.
    await first.catch((e: Error) => this.logger.warn(`RabbitMQ not reachable at start-up: ${e.message}`));
  }

  isConnected(): boolean {
    return this.manager.isConnected();
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  async waitUntilConnected(timeoutMs = 5000): Promise<void> {
    if (this.isConnected()) return;
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.manager.removeListener('connect', onConnect);
        reject(new Error(`RabbitMQ not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      this.manager.once('connect', onConnect);
    });
  }

  createChannel(opts: CreateChannelOpts): ChannelWrapper {
    const ch = this.manager.createChannel(opts);
    // A failing setup emits 'error'; without a listener Node would crash the process.
    ch.on('error', (err: Error) => this.logger.error(`Channel ${opts.name ?? ''} setup failed: ${err.message}`));
    return ch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasConnected = this.manager.isConnected();
    const closing = this.manager.close();
    // With a connect attempt in flight, close() also waits out the pending reconnect delay; there is
    // nothing to close gracefully then, so shutdown need not wait for it.
    if (!wasConnected) {
      closing.catch(() => undefined);
      return;
    }
    await closing;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
