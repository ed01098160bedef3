/** The validated env instance, also provided under its own class. */
export const ENV_TOKEN = Symbol('AETHER_ENV');
export const SERVICE_NAME = Symbol('AETHER_SERVICE_NAME');
