import { bootstrapService } from '@aether/service-kit';
import { dockerManagerService } from './service';

void bootstrapService(dockerManagerService);
