import { bootstrapService } from '@aether/service-kit';
import { integrationHubService } from './service';

void bootstrapService(integrationHubService);
