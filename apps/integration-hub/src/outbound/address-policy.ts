import { BlockList, isIP, isIPv4 } from 'node:net';

/** Ranges no outbound call may reach unless listed: private, loopback, link-local, CGNAT, multicast, reserved, documentation. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address (::ffff:a.b.c.d, ::ffff:7f00:1, 64:ff9b::…), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(lower);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2], 16);
  const lo = parseInt(m[3], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for an address on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !NON_PUBLIC.check(address, 'ipv4');
  const v4 = embeddedIpv4(address);
  if (v4) return isIPv4(v4) && !NON_PUBLIC.check(v4, 'ipv4');
  return !NON_PUBLIC.check(address, 'ipv6');
}

/**
 * OUTBOUND_ALLOWED_HOSTS: names or addresses that may be reached although not public. A name
 * allows whatever it resolves to; an address allows that address, whichever name led to it.
 */
export class OutboundAllowList {
  private readonly entries: Set<string>;

  constructor(list: string) {
    this.entries = new Set(list.split(',').map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, '')).filter(Boolean));
  }

  allows(hostname: string, address: string): boolean {
    return isPublicAddress(address) || this.entries.has(hostname.toLowerCase().replace(/^\[|\]$/g, '')) || this.entries.has(address.toLowerCase());
  }
}
