import { describe, expect, it } from 'vitest';
import { parseInstalledPackages } from './dpkg-status.js';

describe('parseInstalledPackages', () => {
  it('lists only fully installed packages, without their architecture', () => {
    const status = [
      'Package: git\nStatus: install ok installed\nVersion: 1:2.39.5-0+deb12u3',
      'Package: libnode108:amd64\nStatus: install ok installed',
      'Package: nodejs\nStatus: install ok unpacked',
      'Package: gone\nStatus: deinstall ok config-files',
    ].join('\n\n');
    expect([...parseInstalledPackages(status)]).toEqual(['git', 'libnode108']);
  });
});
