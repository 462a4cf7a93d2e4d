import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';

/**
 * The store with every aggregate's calls timed into `berth_store_call_duration_seconds`, labelled
 * `<aggregate>.<method>` (`responses.loadChain`): one histogram observation per call, so any backend
 * is measured the same way without a line in it. `close` and `checkWritable` pass through untimed.
 * The wrappers are made once, here: a Proxy looked each method up again on every call.
 */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const timed = <T extends object>(aggregate: string, target: T): T => {
    const wrapped: Record<string, unknown> = {};
    for (const name of methodNames(target)) {
      const operation = `${aggregate}.${name}`;
      const method = Reflect.get(target, name) as (...args: unknown[]) => unknown;
      wrapped[name] = (...args: unknown[]): unknown => {
        const startedAt = performance.now();
        const observe = () => metrics.storeCall(operation, (performance.now() - startedAt) / 1000);
        // Called on the aggregate itself, so a class's private fields stay reachable.
        const result = method.apply(target, args);
        if (result instanceof Promise) return result.finally(observe);
        observe();
        return result;
      };
    }
    return wrapped as T;
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

/** An aggregate's methods: its own function properties and its class's, up to Object's. */
function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let object: object | null = target; object && object !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(object)) {
      if (name !== 'constructor' && typeof Reflect.get(target, name) === 'function') names.add(name);
    }
    object = Object.getPrototypeOf(object) as object | null;
  }
  return [...names];
}
