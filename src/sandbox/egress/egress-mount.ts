// How a sandbox reaches its egress proxy: where things appear inside, and the environment that points
// tools at them. Kept apart from the proxy so the drivers import only these names.

/** Where a sandbox sees its proxy directory (the sockets and its CA files). */
export const egressMountPoint = '/.berth/egress';
/** Where the forwarder binary appears inside a sandbox. */
export const egressForwarderPath = '/.berth/egress-forwarder';
export const egressHttpPort = 3128;
export const egressSocksPort = 1080;

/** The forwarder's arguments inside a sandbox: its two ports and the sockets behind them. */
export const egressForwarderArgs = [
  egressForwarderPath,
  `${egressHttpPort}=${egressMountPoint}/http.sock`,
  `${egressSocksPort}=${egressMountPoint}/socks.sock`,
];

/**
 * The environment every sandbox with a proxy gets: the proxies, for every convention tools read
 * (upper and lower case; npm's own settings; Node 24's opt-in), and the CA bundle that holds the
 * public roots plus the container's interception CA, for every variable tools read it from.
 * `NO_PROXY` keeps the sandbox's own loopback services direct.
 */
export function egressEnvironment(): string[] {
  const http = `http://127.0.0.1:${egressHttpPort}`;
  const socks = `socks5h://127.0.0.1:${egressSocksPort}`;
  const bundle = `${egressMountPoint}/ca-bundle.pem`;
  const noProxy = 'localhost,127.0.0.1,::1';
  return [
    `HTTP_PROXY=${http}`,
    `HTTPS_PROXY=${http}`,
    `http_proxy=${http}`,
    `https_proxy=${http}`,
    `ALL_PROXY=${socks}`,
    `all_proxy=${socks}`,
    `NO_PROXY=${noProxy}`,
    `no_proxy=${noProxy}`,
    `npm_config_proxy=${http}`,
    `npm_config_https_proxy=${http}`,
    'NODE_USE_ENV_PROXY=1',
    `SSL_CERT_FILE=${bundle}`,
    `REQUESTS_CA_BUNDLE=${bundle}`,
    `CURL_CA_BUNDLE=${bundle}`,
    `GIT_SSL_CAINFO=${bundle}`,
    `PIP_CERT=${bundle}`,
    `NODE_EXTRA_CA_CERTS=${egressMountPoint}/ca.pem`,
  ];
}
