/**
 * Events the security service publishes (routing key = CloudEvents type, subject = user id).
 * Data never carries secrets: no passwords, token or key material, no hashes.
 */
export const SecurityEvents = {
  userRegistered: 'security.user.registered',
  userLoggedIn: 'security.user.logged_in',
  loginFailed: 'security.login.failed',
  tokenReused: 'security.token.reused',
  apiKeyCreated: 'security.apikey.created',
  apiKeyRevoked: 'security.apikey.revoked',
  userRolesChanged: 'security.user.roles_changed',
} as const;
export type SecurityEventType = (typeof SecurityEvents)[keyof typeof SecurityEvents];
