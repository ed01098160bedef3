import { bootstrapService } from '@aether/service-kit';
import { apiGatewayService } from './service';

void bootstrapService(apiGatewayService);
