import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first migration of code-assistant: give it the service's first tables. */
export class CreateCodeAssistantSchema1796120140820 implements MigrationInterface {
  name = 'CreateCodeAssistantSchema1796120140820';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
