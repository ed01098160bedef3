/** The validated env instance, also provided under its own class. */
export const ENV_TOKEN = Symbol('AETHER_ENV');
/** The app's name from its service definition (apps/<name>): logs, metrics, event `source`, lock keys. */
export const SERVICE_NAME = Symbol('AETHER_SERVICE_NAME');
/**
 * The guard that authenticates every RPC of the app's gRPC server (a Nest `CanActivate`). The kit
 * installs it on the server itself and refuses to start a gRPC server without one, so no app can
 * forget it; `AuthModule` (@aether/auth) provides it. Handlers that need no caller are marked
 * explicitly (`@Public()` from @aether/auth).
 */
export const GRPC_AUTH_GUARD = Symbol('AETHER_GRPC_AUTH_GUARD');
