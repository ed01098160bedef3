import { bootstrapService } from '@aether/service-kit';
import { AppModule } from './app.module';

void bootstrapService({ name: 'security', module: AppModule, grpc: 'security' });
