import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module';
import { GithubGrpcController } from './github.grpc.controller';
import { GithubService } from './github.service';

/** The GitHub REST API on behalf of github connections (their token never leaves the hub). */
@Module({
  imports: [ConnectionsModule],
  controllers: [GithubGrpcController],
  providers: [GithubService],
})
export class GithubModule {}
