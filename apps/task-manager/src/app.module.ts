import { Module } from '@nestjs/common';
import { AmqpReadiness } from '@aether/messaging';
import { ServiceKitModule, TypeOrmReadiness } from '@aether/service-kit';
import { TaskManagerEnv } from './config/task-manager.env';
import { TaskManagerModule } from './task-manager.module';

@Module({
  imports: [
    ServiceKitModule.forRoot({ name: 'task-manager', env: TaskManagerEnv, readiness: [TypeOrmReadiness, AmqpReadiness] }),
    TaskManagerModule,
  ],
})
export class AppModule {}
