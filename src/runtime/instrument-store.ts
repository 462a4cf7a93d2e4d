import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';

/**
 * The store with every aggregate's calls timed into `berth_store_call_duration_seconds`, labelled
 * `<aggregate>.<method>` (`responses.loadChain`): one histogram observation per call, so any backend
 * is measured the same way without a line in it. `close` and `checkWritable` pass through untimed.
 */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const timed = <T extends object>(aggregate: string, target: T): T => {
    const wrappers = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(object, property) {
        // Read and called on the store itself, never through the proxy: its private fields stay reachable.
        const value: unknown = Reflect.get(object, property);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        let wrapper = wrappers.get(property);
        if (!wrapper) {
          const operation = `${aggregate}.${property}`;
          const method = value as (...args: unknown[]) => unknown;
          wrapper = (...args: unknown[]): unknown => {
            const startedAt = performance.now();
            const observe = () => metrics.storeCall(operation, (performance.now() - startedAt) / 1000);
            const result = method.apply(object, args);
            if (result instanceof Promise) return result.finally(observe);
            observe();
            return result;
          };
          wrappers.set(property, wrapper);
        }
        return wrapper;
      },
    });
  };
  return {
    responses: timed('responses', store.responses),
    conversations: timed('conversations', store.conversations),
    files: timed('files', store.files),
    containers: timed('containers', store.containers),
    skills: timed('skills', store.skills),
    apiKeys: timed('apiKeys', store.apiKeys),
    toolCalls: timed('toolCalls', store.toolCalls),
    egressLog: timed('egressLog', store.egressLog),
    checkWritable: () => store.checkWritable(),
    close: () => store.close(),
  };
}
