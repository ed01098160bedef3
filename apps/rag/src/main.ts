import { bootstrapService } from '@aether/service-kit';
import { ragService } from './service';

void bootstrapService(ragService);
