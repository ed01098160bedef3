import { Logger } from '@nestjs/common';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const ACCESS_TOKEN_ALG = 'ES256';

/** A public key as published in the JWKS (RFC 7517). */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: string;
}

export interface SigningKeySource {
  NODE_ENV: string;
  JWT_PRIVATE_KEY?: string;
  JWT_PRIVATE_KEY_FILE?: string;
}

/**
 * The EC P-256 key that signs access tokens, and the JWKS that verifies them. `kid` is the RFC 7638
 * thumbprint of the public key, so every replica loaded with the same PEM announces the same kid.
 */
export class SigningKeys {
  private readonly keySet: { keys: PublicJwk[] };

  private constructor(
    readonly privateKey: KeyObject,
    readonly kid: string,
    publicJwk: PublicJwk,
  ) {
    // One frozen object: verifiers cache imported keys by identity of the set.
    this.keySet = Object.freeze({ keys: [Object.freeze(publicJwk)] }) as { keys: PublicJwk[] };
  }

  static async fromPrivateKey(privateKey: KeyObject): Promise<SigningKeys> {
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('JWT_PRIVATE_KEY must be an EC P-256 private key (PKCS#8 PEM) for ES256');
    }
    const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
    return new SigningKeys(privateKey, kid, { kty: kty!, crv: crv!, x: x!, y: y!, kid, alg: ACCESS_TOKEN_ALG, use: 'sig' });
  }

  /**
   * JWT_PRIVATE_KEY (PEM, literal `\n` escapes accepted) or JWT_PRIVATE_KEY_FILE. Without either,
   * development and test get a throw-away key (tokens die with the process); production refuses.
   */
  static async fromEnv(env: SigningKeySource, logger = new Logger('SigningKeys')): Promise<SigningKeys> {
    let pem = env.JWT_PRIVATE_KEY?.trim();
    if (!pem && env.JWT_PRIVATE_KEY_FILE) {
      try {
        pem = readFileSync(env.JWT_PRIVATE_KEY_FILE, 'utf8').trim();
      } catch (e) {
        throw new Error(`JWT_PRIVATE_KEY_FILE cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    if (pem) {
      let key: KeyObject;
      try {
        key = createPrivateKey({ key: pem.replace(/\\n/g, '\n'), format: 'pem' });
      } catch {
        // Never echo the key material.
        throw new Error('JWT_PRIVATE_KEY is not a readable PEM private key');
      }
      return SigningKeys.fromPrivateKey(key);
    }
    if (env.NODE_ENV === 'development' || env.NODE_ENV === 'test') {
      logger.warn('JWT_PRIVATE_KEY is not set: using an ephemeral signing key (tokens are invalid after a restart and across replicas)');
      return SigningKeys.fromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    }
    throw new Error('JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is required when NODE_ENV is production');
  }

  /** The public keys that verify tokens this service signs. */
  jwks(): { keys: PublicJwk[] } {
    return this.keySet;
  }
}
