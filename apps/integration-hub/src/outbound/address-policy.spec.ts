import { isPublicAddress, OutboundAllowList } from './address-policy';

describe('outbound address policy', () => {
  it('refuses private, loopback, link-local and special ranges, in IPv4, IPv6 and IPv4-mapped form', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
      '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1']) {
      expect([a, isPublicAddress(a)]).toEqual([a, false]);
    }
    for (const a of ['8.8.8.8', '140.82.112.3', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect([a, isPublicAddress(a)]).toEqual([a, true]);
    expect(isPublicAddress('not-an-ip')).toBe(false);
  });

  it('lets OUTBOUND_ALLOWED_HOSTS open a name or an address', () => {
    const list = new OutboundAllowList('fake-slack.internal, 127.0.0.1,[::1]');
    expect(list.allows('fake-slack.internal', '10.0.0.5')).toBe(true);
    expect(list.allows('localhost', '127.0.0.1')).toBe(true);
    expect(list.allows('localhost', '::1')).toBe(true);
    expect(list.allows('metadata', '169.254.169.254')).toBe(false);
    expect(new OutboundAllowList('').allows('localhost', '127.0.0.1')).toBe(false);
  });
});
