/** What the site process (egress-site.ts) tells the benchmark. */
export type SiteMessage = {
  readonly type: 'ready';
  readonly port: number;
  /** The CA the site's certificates are signed by. */
  readonly caPem: string;
};

/** What the proxy process (egress-proxy-process.ts) tells the benchmark. */
export type ProxyMessage =
  | {
      readonly type: 'ready';
      /** The proxy's socket directory (`http.sock` in it), and the container's interception CA. */
      readonly directory: string;
      readonly caPem: string;
      /** What the sandbox would see in `$API_KEY`. */
      readonly placeholder: string;
    }
  | { readonly type: 'records'; readonly count: number };

/** The benchmark's two host names, both served by the site at 127.0.0.1. */
export const plainHost = 'plain.bench.test';
export const secretHost = 'secret.bench.test';
