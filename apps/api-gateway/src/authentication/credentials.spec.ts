import { UnauthenticatedError } from '@aether/service-kit';
import { extractCredential } from './credentials';

describe('extractCredential', () => {
  it('reads a bearer JWT', () => {
    expect(extractCredential({ authorization: 'Bearer eyJ.a.b' })).toEqual({ kind: 'jwt', token: 'eyJ.a.b' });
    expect(extractCredential({ authorization: 'bearer   eyJ.a.b ' })).toEqual({ kind: 'jwt', token: 'eyJ.a.b' });
  });

  it('reads an API key from X-API-Key or from Authorization: Bearer ak_...', () => {
    expect(extractCredential({ 'x-api-key': 'ak_abc' })).toEqual({ kind: 'apiKey', key: 'ak_abc' });
    expect(extractCredential({ authorization: 'Bearer ak_abc' })).toEqual({ kind: 'apiKey', key: 'ak_abc' });
    expect(extractCredential({ authorization: 'Bearer ak_abc', 'x-api-key': 'ak_abc' })).toEqual({ kind: 'apiKey', key: 'ak_abc' });
  });

  it('returns undefined when nothing was sent', () => {
    expect(extractCredential({})).toBeUndefined();
    expect(extractCredential({ authorization: '' })).toBeUndefined();
  });

  it.each([
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['bearer without token', { authorization: 'Bearer' }],
    ['token with spaces', { authorization: 'Bearer a b' }],
    ['X-API-Key without prefix', { 'x-api-key': 'secret' }],
    ['two different credentials', { authorization: 'Bearer eyJ.a.b', 'x-api-key': 'ak_abc' }],
    ['repeated header', { 'x-api-key': ['ak_a', 'ak_b'] }],
  ])('rejects %s with a 401 error', (_what, headers) => {
    expect(() => extractCredential(headers)).toThrow(UnauthenticatedError);
  });
});
