/** A route of the server's router, with the methods it takes. */
export interface RouterRoute {
  readonly path: string;
  readonly methods: readonly string[];
}

/**
 * Every route with its methods, read from Fastify's route tree
 * (`app.printRoutes({ commonPrefix: false })`: four characters per level).
 */
export function routesOf(tree: string): RouterRoute[] {
  const routes: RouterRoute[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2] ?? '');
    const methods = (match[3] ?? '').split(', ').filter((method) => method !== '');
    if (methods.length > 0) routes.push({ path: stack.join(''), methods });
  }
  return routes;
}
