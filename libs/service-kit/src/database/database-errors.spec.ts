import { status as GrpcStatus } from '@grpc/grpc-js';
import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { NotFoundError, UnavailableError } from '../errors/domain-errors';
import { databaseUnavailableError, isDatabaseConnectionError } from './database-errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('database connection errors', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['timed out', withCode('ETIMEDOUT')],
    ['reset', withCode('ECONNRESET')],
    ['pg: server went away', new Error('Connection terminated unexpectedly')],
    ['pg: connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pg-pool: no free connection in time', new Error('timeout exceeded when trying to connect')],
    ['SQLSTATE class 08', withCode('08006')],
    ['admin shutdown', withCode('57P01')],
    ['crash shutdown', withCode('57P02')],
    ['starting up', withCode('57P03')],
    ['too many connections', withCode('53300')],
    ['Node: one refusal per address', Object.assign(new AggregateError([withCode('ECONNREFUSED')], ''), { code: undefined })],
    ['wrapped as cause', new Error('outer', { cause: withCode('ECONNREFUSED') })],
    ['TypeORM QueryFailedError', new QueryFailedError('SELECT 1', [], withCode('57P01', 'terminating connection due to administrator command'))],
    ['a write to the socket the shutdown closed', withCode('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')],
    ['a write after the socket ended', withCode('ERR_STREAM_WRITE_AFTER_END', 'write after end')],
    ['pg: a query on a client that was closed', new Error('Client was closed and is not queryable')],
    ['TypeORM: the next statement on a runner its lost connection released', new QueryRunnerProviderAlreadyReleasedError()],
    ['no server on the Unix socket', Object.assign(withCode('ENOENT', 'connect ENOENT /run/postgresql/.s.PGSQL.5432'), { syscall: 'connect' })],
  ])('%s → UNAVAILABLE', (_what, err) => {
    expect(isDatabaseConnectionError(err)).toBe(true);
    const mapped = databaseUnavailableError(err);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped!.grpcStatus).toBe(GrpcStatus.UNAVAILABLE);
    expect(mapped!.code).toBe('UPSTREAM_UNAVAILABLE');
    // Nothing of the driver's message (host names, ports) goes to the client.
    expect(mapped!.message).toBe('The database is unavailable');
  });

  it.each([
    ['unique violation', new QueryFailedError('INSERT', [], withCode('23505'))],
    ['NUL in text', withCode('22021')],
    ['bad cast', withCode('22P02')],
    ['a domain error', new NotFoundError()],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a missing file', Object.assign(withCode('ENOENT', "ENOENT: no such file or directory, open 'x'"), { syscall: 'open' })],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('%s stays what it is', (_what, err) => {
    expect(isDatabaseConnectionError(err)).toBe(false);
    expect(databaseUnavailableError(err)).toBeUndefined();
  });

  it('survives a self-referencing cause chain', () => {
    const e = new Error('loop') as Error & { cause?: unknown };
    e.cause = e;
    expect(isDatabaseConnectionError(e)).toBe(false);
  });
});
