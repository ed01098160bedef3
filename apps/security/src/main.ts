import { bootstrapService } from '@aether/service-kit';
import { securityService } from './service';

void bootstrapService(securityService);
