import { bootstrapService } from '@aether/service-kit';
import { AppModule } from './app.module';
import { gatewayFastifyOptions } from './gateway-options';
import { configureGatewayHttp } from './http/configure-http';

void bootstrapService({
  name: 'api-gateway',
  module: AppModule,
  fastify: gatewayFastifyOptions(),
  configureHttp: configureGatewayHttp,
});
