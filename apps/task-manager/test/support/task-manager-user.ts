import { TestUser } from '@aether/testing';
import { actorOf, type Actor } from '../../src/common/actor';

/** A test user (@aether/testing) plus the Actor task-manager derives from its token, for calling domain services directly. */
export class TaskManagerUser extends TestUser {
  readonly actor: Actor = actorOf(this.principal);
}
