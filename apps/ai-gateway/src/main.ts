import { bootstrapService } from '@aether/service-kit';
import { aiGatewayService } from './service';

void bootstrapService(aiGatewayService);
