import { bootstrapService } from '@aether/service-kit';
import { taskManagerService } from './service';

void bootstrapService(taskManagerService);
