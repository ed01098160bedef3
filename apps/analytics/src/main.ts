import { bootstrapService } from '@aether/service-kit';
import { AppModule } from './app.module';

void bootstrapService({ name: 'analytics', module: AppModule, grpc: 'analytics' });
