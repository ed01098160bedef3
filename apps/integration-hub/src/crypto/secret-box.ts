import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value: which key, and `base64(iv | tag | ciphertext)`. */
export interface Sealed {
  keyId: string;
  box: string;
}

/**
 * AES-256-GCM under a ring of keys (INTEGRATION_HUB_SECRET_KEYS): the first key seals, any key
 * of the ring opens, so keys rotate by putting a new one first and re-sealing in the background.
 * The associated data binds a box to its owner (a connection id): a box copied onto another row
 * does not open there.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  constructor(ring: string) {
    const entries = ring.split(',').map((part) => part.trim()).filter(Boolean);
    if (entries.length === 0) throw new Error('The secret key ring is empty');
    for (const entry of entries) {
      const sep = entry.indexOf(':');
      const id = entry.slice(0, sep);
      const key = Buffer.from(entry.slice(sep + 1), 'base64');
      if (sep <= 0 || key.length !== 32) throw new Error(`Secret key "${id}" must be 32 bytes in base64`);
      if (this.keys.has(id)) throw new Error(`Secret key id "${id}" appears twice`);
      this.keys.set(id, key);
    }
    this.activeKeyId = entries[0].slice(0, entries[0].indexOf(':'));
  }

  seal(plain: string, associatedData: string): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return { keyId: this.activeKeyId, box: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64') };
  }

  /** Throws when the key is unknown or the box was altered (or belongs to another owner). */
  open(sealed: Sealed, associatedData: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`Secret key "${sealed.keyId}" is not in INTEGRATION_HUB_SECRET_KEYS`);
    const raw = Buffer.from(sealed.box, 'base64');
    const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
