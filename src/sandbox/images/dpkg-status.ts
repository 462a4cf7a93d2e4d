/**
 * Names of the packages `/var/lib/dpkg/status` records as fully installed (`install ok installed`),
 * with any `:arch` qualifier dropped.
 */
export function parseInstalledPackages(status: string): Set<string> {
  const installed = new Set<string>();
  for (const stanza of status.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const state = /^Status:\s*(.+)$/m.exec(stanza)?.[1]?.trim();
    if (name !== undefined && state === 'install ok installed') installed.add(name.replace(/:.*/, ''));
  }
  return installed;
}
