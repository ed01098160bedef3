import { bootstrapService } from '@aether/service-kit';
import { codeAssistantService } from './service';

void bootstrapService(codeAssistantService);
