import { bootstrapService } from '@aether/service-kit';
import { analyticsService } from './service';

void bootstrapService(analyticsService);
