/**
 * IP addresses and host allowlists, for every place this package lets a
 * user's URL reach the network (campaign callbacks, media URLs Asterisk
 * fetches): which addresses are internal (loopback, private, link-local,
 * ...), and an allowlist of host names, *.domains, IP addresses and CIDR
 * ranges.
 */
import net from 'node:net';

/** An IPv4 or IPv6 address as bytes. */
export interface Ip {
  v: 4 | 6;
  /** 4 or 16 bytes. */
  b: number[];
}

/** The address in `text` (IPv4, IPv6, [IPv6], with a zone or not), or undefined. */
export function parseIp(text: string): Ip | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (net.isIPv4(s)) return { v: 4, b: s.split('.').map(Number) };
  if (!net.isIPv6(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const token of part.split(':')) {
      if (token.includes('.')) {
        if (!net.isIPv4(token)) return undefined;
        const [a = 0, b = 0, c = 0, d = 0] = token.split('.').map(Number);
        out.push(a * 256 + b, c * 256 + d);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(token)) return undefined;
        out.push(parseInt(token, 16));
      }
    }
    return out;
  };
  const head = words(halves[0] ?? '');
  const tail = halves.length === 2 ? words(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return { v: 6, b: all.flatMap((w) => [w >> 8, w & 0xff]) };
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address it carries. */
function normalize(ip: Ip): Ip {
  if (ip.v === 6 && ip.b.slice(0, 10).every((x) => x === 0) && ip.b[10] === 0xff && ip.b[11] === 0xff) return { v: 4, b: ip.b.slice(12) };
  return ip;
}

function inRange(ip: Ip, base: Ip, prefix: number): boolean {
  if (ip.v !== base.v) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const bits = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const i = bit / 8;
    if (((ip.b[i] ?? 0) & mask) !== ((base.b[i] ?? 0) & mask)) return false;
  }
  return true;
}

function range(cidr: string): [Ip, number] {
  const [addr = '', prefix = ''] = cidr.split('/');
  const ip = parseIp(addr);
  if (!ip) throw new Error(`bad range ${cidr}`);
  return [ip, Number(prefix)];
}

const V4_INTERNAL = [
  '0.0.0.0/8', // unspecified, "this network"
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local (cloud metadata services)
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking networks
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
].map(range);

const V6_INTERNAL = [
  '::/96', // unspecified, loopback, deprecated IPv4-compatible forms
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
].map(range);

/** Ranges that carry an IPv4 address in their last 32 bits. */
const V6_EMBEDDING = [
  '::ffff:0:0:0/96', // IPv4-translated
  '64:ff9b::/96', // NAT64
].map(range);

/** Whether an address is internal: see isInternalAddress. */
export function isInternalIp(address: Ip): boolean {
  const ip = normalize(address);
  if (ip.v === 4) return V4_INTERNAL.some(([base, prefix]) => inRange(ip, base, prefix));
  if (V6_INTERNAL.some(([base, prefix]) => inRange(ip, base, prefix))) return true;
  if (V6_EMBEDDING.some(([base, prefix]) => inRange(ip, base, prefix))) return isInternalIp({ v: 4, b: ip.b.slice(12) });
  return false;
}

/**
 * Whether an address is loopback, private (10/8, 172.16/12, 192.168/16,
 * 100.64/10, fc00::/7), link-local (169.254/16, fe80::/10), unspecified,
 * multicast or IPv4-mapped forms of these. Also refused: 0/8, 240/4
 * (reserved and broadcast), fec0::/10, the whole deprecated ::/96 and
 * internal IPv4 addresses inside ::ffff:0:0:0/96 and 64:ff9b::/96.
 * Not an IP address: false.
 */
export function isInternalAddress(address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && isInternalIp(ip);
}

// ---------------------------------------------------------------------------
// Allowlist

type Entry = { kind: 'name'; name: string } | { kind: 'suffix'; suffix: string } | { kind: 'ip'; ip: Ip; prefix: number };

const NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function hostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

function parseEntry(raw: string): Entry | undefined {
  const text = raw.trim();
  const slash = text.lastIndexOf('/');
  if (slash >= 0) {
    const addr = parseIp(text.slice(0, slash));
    const bits = text.slice(slash + 1);
    if (!addr || !/^[0-9]{1,3}$/.test(bits)) return undefined;
    let prefix = Number(bits);
    if (prefix > (addr.v === 4 ? 32 : 128)) return undefined;
    let ip = addr;
    const mapped = normalize(addr);
    if (mapped.v === 4 && addr.v === 6 && prefix >= 96) {
      ip = mapped;
      prefix -= 96;
    }
    return { kind: 'ip', ip, prefix };
  }
  const ip = parseIp(text);
  if (ip) {
    const n = normalize(ip);
    return { kind: 'ip', ip: n, prefix: n.v === 4 ? 32 : 128 };
  }
  const name = hostName(text);
  if (name.length > 253) return undefined;
  if (name.startsWith('*.')) return NAME.test(name.slice(2)) ? { kind: 'suffix', suffix: name.slice(1) } : undefined;
  return NAME.test(name) ? { kind: 'name', name } : undefined;
}

/**
 * Hosts a URL may reach: exact names, *.domain, IP addresses and CIDR ranges.
 * Entries that are none of these are kept in `invalid`.
 */
export class HostAllowlist {
  readonly entries: Entry[] = [];
  readonly invalid: string[] = [];

  constructor(list: readonly string[]) {
    for (const raw of list) {
      const entry = typeof raw === 'string' ? parseEntry(raw) : undefined;
      if (entry) this.entries.push(entry);
      else this.invalid.push(String(raw));
    }
  }

  /** An IP or CIDR entry covers the address (a name entry never does). */
  covers(address: Ip): boolean {
    const ip = normalize(address);
    return this.entries.some((e) => e.kind === 'ip' && inRange(ip, e.ip, e.prefix));
  }

  hasName(host: string): boolean {
    const name = hostName(host);
    return this.entries.some((e) => (e.kind === 'name' ? e.name === name : e.kind === 'suffix' && name.endsWith(e.suffix)));
  }
}

/** A URL's host without the brackets of an IPv6 literal. */
export function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
