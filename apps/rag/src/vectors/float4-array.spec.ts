import { Client } from 'pg';
import { decodeFloat4Array } from './float4-array';

// Against the real server's encoding (PostgreSQL at 127.0.0.1:5432, as every rag test uses).
describe('decodeFloat4Array', () => {
  const client = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it('reads what array_send writes for a real[]', async () => {
    const values = [0.5, -1.25, 3.4028234663852886e38, 1e-7, 0];
    const [{ bytes }] = (await client.query(`SELECT array_send($1::real[]) AS bytes`, [values])).rows;
    expect(Array.from(decodeFloat4Array(bytes))).toEqual(Array.from(Float32Array.from(values)));
  });

  it('reads an empty array and refuses NULL elements and other shapes', async () => {
    const one = async (sql: string) => (await client.query(sql)).rows[0].bytes as Buffer;
    expect(decodeFloat4Array(await one(`SELECT array_send('{}'::real[]) AS bytes`))).toHaveLength(0);
    expect(() => decodeFloat4Array(Buffer.alloc(4))).toThrow(/not a binary/);
    await expect(one(`SELECT array_send('{1,NULL}'::real[]) AS bytes`).then(decodeFloat4Array)).rejects.toThrow(/NULL/);
    await expect(one(`SELECT array_send('{{1,2},{3,4}}'::real[]) AS bytes`).then(decodeFloat4Array)).rejects.toThrow(/dimensions/);
    await expect(one(`SELECT array_send('{1,2}'::float8[]) AS bytes`).then(decodeFloat4Array)).rejects.toThrow(/8 bytes/);
  });
});
