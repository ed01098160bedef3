import { type Permission } from '@aether/auth';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The services that may obtain a service token, and the fixed permissions each gets. Kept in
 * code, not configuration: a service's reach is reviewed with the change that needs it. The
 * secrets come from SERVICE_CLIENT_SECRETS (`<client>=<secret>`); a client without a secret
 * there cannot authenticate.
 */
export const SERVICE_CLIENT_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = Object.freeze({
  // Pull-request reviews triggered by GitHub webhooks: the model through ai-gateway, the pull
  // request's files and the review through integration-hub.
  'code-assistant': ['ai:use', 'integrations:github'],
});

const ENTRY = /^([a-z][a-z0-9-]{0,62})=(\S{32,512})$/;

export interface ServiceClient {
  id: string;
  permissions: readonly Permission[];
  /** SHA-256 of the secret: only the digest is kept in memory, and compared in constant time. */
  secretDigest: Buffer;
}

const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Parses SERVICE_CLIENT_SECRETS: comma-separated `<client>=<secret>` (secret ≥ 32 characters, no
 * whitespace or comma). Returns the problems (never quoting a secret) or the clients.
 */
export function parseServiceClients(value: string | undefined): { clients: Map<string, ServiceClient>; problems: string[] } {
  const clients = new Map<string, ServiceClient>();
  const problems: string[] = [];
  const entries = (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  entries.forEach((entry, i) => {
    const m = ENTRY.exec(entry);
    if (!m) {
      problems.push(`entry ${i + 1} must be <client>=<secret of at least 32 characters>`);
      return;
    }
    const [, id, secret] = m;
    const permissions = SERVICE_CLIENT_PERMISSIONS[id];
    if (!permissions) problems.push(`unknown client "${id}" (known: ${Object.keys(SERVICE_CLIENT_PERMISSIONS).join(', ')})`);
    else if (clients.has(id)) problems.push(`client "${id}" is listed twice`);
    else clients.set(id, { id, permissions, secretDigest: digest(secret) });
  });
  return { clients, problems };
}

/** Digests of equal length compared in constant time: neither content nor length of the secret leaks. */
export function secretMatches(client: ServiceClient, presented: string): boolean {
  return timingSafeEqual(client.secretDigest, digest(presented));
}
