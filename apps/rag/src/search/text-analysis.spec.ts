import { exactTokens } from './text-analysis';

describe('exactTokens (the identifier list)', () => {
  it('keeps whole the identifiers PostgreSQL full text splits', () => {
    expect(exactTokens('Does ERR_AUTH_401 come from ffi_prep_cif, utf-8 or containerd.io/gc.expire?')).toEqual([
      'err_auth_401',
      'ffi_prep_cif',
      'utf-8',
      'containerd.io/gc.expire',
    ]);
  });

  it('leaves words the parser keeps whole to the keyword list: plain, hyphenated, camelCase, letters with digits', () => {
    expect(exactTokens('Which per-registry trade-off does GnuTLS or httplib2 make in OpenTelemetry?')).toEqual([]);
  });
});
