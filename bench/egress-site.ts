// The benchmark's "internet": one HTTPS server on loopback answering both of egress.ts's names, with
// certificates from its own CA. `/bytes?n=N` streams N bytes; anything else answers `ok`.
import { createServer } from 'node:https';
import { EgressCertificateAuthority } from '../src/sandbox/egress/egress-certificate-authority.js';
import { plainHost, secretHost, type SiteMessage } from './egress-ipc.js';

const authority = await EgressCertificateAuthority.create('bench-site');
const chunk = Buffer.alloc(256 * 1024, 120);
const site = createServer(await authority.leaf(plainHost), (req, res) => {
  const url = new URL(req.url ?? '/', 'https://site');
  req.resume();
  if (url.pathname !== '/bytes') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  const total = Number(url.searchParams.get('n'));
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
site.addContext(secretHost, await authority.leaf(secretHost));
site.listen(0, '127.0.0.1', () => {
  const { port } = site.address() as { port: number };
  const ready: SiteMessage = { type: 'ready', port, caPem: authority.certificatePem };
  process.send?.(ready);
});
process.on('disconnect', () => process.exit(0));
