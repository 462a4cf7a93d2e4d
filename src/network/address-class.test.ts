import { describe, expect, it } from 'vitest';
import { insideNetworks, nonPublicReason, parseCidr, type Cidr } from './address-class.js';

describe('address classes', () => {
  it('lets ordinary public addresses through', () => {
    expect(nonPublicReason('93.184.216.34')).toBe(null);
    expect(nonPublicReason('2606:2800:220:1:248:1893:25c8:1946')).toBe(null);
  });

  it('refuses every address that is not the public internet', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:8.8.8.8',
      '64:ff9b::7f00:1',
    ]) {
      expect(nonPublicReason(address), address).not.toBe(null);
    }
    expect(nonPublicReason('169.254.169.254')).toContain('link-local');
    expect(nonPublicReason('::ffff:127.0.0.1')).toBe('IPv4-mapped IPv6 address');
  });

  it('matches addresses against allowed private networks, IPv4-mapped ones as their IPv4', () => {
    const networks = [parseCidr('10.20.0.0/16'), parseCidr('fd12::/48'), parseCidr('192.0.2.7')] as Cidr[];
    expect(insideNetworks('10.20.3.4', networks)).toBe(true);
    expect(insideNetworks('::ffff:10.20.3.4', networks)).toBe(true);
    expect(insideNetworks('10.21.0.1', networks)).toBe(false);
    expect(insideNetworks('fd12::5', networks)).toBe(true);
    expect(insideNetworks('192.0.2.7', networks)).toBe(true);
    expect(insideNetworks('192.0.2.8', networks)).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBe(null);
    expect(parseCidr('nonsense')).toBe(null);
  });
});
