import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SecurityEnv } from '../config/security.env';
import { UsersService } from './users.service';

/** Creates ADMIN_EMAIL / ADMIN_PASSWORD at start-up when set and absent (after migrations ran). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly users: UsersService,
    private readonly env: SecurityEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = this.env;
    if (!email || !password) return;
    if (await this.users.ensureAdmin(email, password)) {
      this.logger.log(`created the administrator account ${email}`);
      return;
    }
    const existing = await this.users.findByEmail(email);
    if (existing && !existing.roles.includes('admin')) {
      // Never promote an account someone else may have registered with that address.
      this.logger.warn(`ADMIN_EMAIL ${email} belongs to an existing account without the admin role; left unchanged`);
    }
  }
}
