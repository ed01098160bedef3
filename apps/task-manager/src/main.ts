import { bootstrapService } from '@aether/service-kit';
import { AppModule } from './app.module';

void bootstrapService({ name: 'task-manager', module: AppModule, grpc: 'task-manager' });
