import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { decodeStatusDetails, encodeStatusDetails, STATUS_DETAILS_KEY, statusDetailsMetadata, wireSafeText } from './status-details';
import { readGrpcError } from './status-mapping';

const serviceError = (code: number, details: string, metadata: Metadata) => Object.assign(new Error(details), { code, details, metadata });

describe('google.rpc.Status in grpc-status-details-bin', () => {
  it('round-trips reason, violations and retry delay', () => {
    const sent = {
      grpcCode: GrpcStatus.RESOURCE_EXHAUSTED,
      message: 'Zu viele Versuche 🙅',
      reason: 'LOGIN_LOCKED',
      violations: [{ field: 'tïmezone', message: '"Europe/Bärlin"\r\n' }],
      retryAfterSeconds: 1.5,
    };
    expect(decodeStatusDetails(encodeStatusDetails(sent))).toEqual(sent);
  });

  it('readGrpcError takes code, violations and Retry-After from the trailer', () => {
    const md = statusDetailsMetadata({ grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, message: 'locked', reason: 'LOGIN_LOCKED', retryAfterSeconds: 30 });
    expect(readGrpcError(serviceError(GrpcStatus.RESOURCE_EXHAUSTED, 'locked', md))).toEqual({
      grpcCode: GrpcStatus.RESOURCE_EXHAUSTED,
      httpStatus: 429,
      code: 'LOGIN_LOCKED',
      message: 'locked',
      violations: [],
      retryAfterSeconds: 30,
    });
  });

  it('falls back to the default code when the trailer is missing, garbage or about another status', () => {
    const garbage = new Metadata();
    garbage.set(STATUS_DETAILS_KEY, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const other = statusDetailsMetadata({ grpcCode: GrpcStatus.NOT_FOUND, message: 'x', reason: 'TASK_NOT_FOUND' });
    for (const md of [new Metadata(), garbage, other]) {
      expect(readGrpcError(serviceError(GrpcStatus.INVALID_ARGUMENT, 'bad', md))).toMatchObject({ code: 'VALIDATION_FAILED', violations: [] });
    }
  });

  it('wireSafeText replaces lone surrogates and cuts long text at a character boundary', () => {
    expect(wireSafeText('a\ud800b\udc00c🙂')).toBe('a\ufffdb\ufffdc🙂');
    const cut = wireSafeText(`${'x'.repeat(8)}🙂🙂`, 10);
    expect(cut).toBe(`${'x'.repeat(8)}…`);
    expect(() => encodeURI(cut)).not.toThrow();
  });

  it('keeps the encoded status within its budget however many long violations there are', () => {
    const violations = Array.from({ length: 1000 }, (_, i) => ({ field: `f${i}`, message: '😀'.repeat(10_000) }));
    const bytes = encodeStatusDetails({ grpcCode: GrpcStatus.INVALID_ARGUMENT, message: 'm'.repeat(100_000), reason: 'VALIDATION_FAILED', violations });
    expect(bytes.length).toBeLessThanOrEqual(3072);
    const back = decodeStatusDetails(bytes)!;
    expect(back.violations![0].field).toBe('f0');
    expect(back.message.length).toBeLessThanOrEqual(300);
  });
});
