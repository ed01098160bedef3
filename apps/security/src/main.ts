// Decorator metadata must exist before any decorated class (env, entities) is loaded.
import 'reflect-metadata';
import { bootstrapService } from '@aether/service-kit';
import { AppModule } from './app.module';

void bootstrapService({ name: 'security', module: AppModule, grpc: 'security' });
