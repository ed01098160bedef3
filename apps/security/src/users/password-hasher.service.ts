import { Injectable, OnModuleInit } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { randomSecret } from '../common/secrets';

// `Algorithm` is a const enum in the typings (erased at run time under swc), so name the value.
const ARGON2ID = 2 as Algorithm;
// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** argon2id password hashing (PHC strings, so parameters can be raised later). */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash?: Promise<string>;

  /** Made at start-up so even the first unknown-email login costs one verification, not a hash too. */
  onModuleInit(): void {
    this.dummyHash ??= this.hash(randomSecret());
  }

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false; // a malformed stored hash never authenticates
    }
  }

  /**
   * Spends the same work as a real verification against a hash nobody knows the password of,
   * so an unknown email answers as slowly as a wrong password.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomSecret());
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
