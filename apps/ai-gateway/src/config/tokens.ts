/** The validated operator configuration (GatewayConfig), loaded once at start-up. */
export const GATEWAY_CONFIG = Symbol('AI_GATEWAY_CONFIG');
