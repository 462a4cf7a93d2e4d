import { BerthError } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';

/** How long listing waits for an upstream's model list before leaving that provider out. */
const listTimeoutMs = 5_000;

/** OpenAI's Model object, named as clients must name it (`"<provider>/<model>"`). */
export interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  /** Upstreams do not all say when a model was made: always 0. */
  readonly created: number;
  /** The provider that serves it. */
  readonly owned_by: string;
}

export interface ModelCatalogDependencies {
  readonly providers: ProviderRegistry;
  readonly logger: Logger;
}

/**
 * The models clients may name: what each configured provider's upstream lists, under the provider's
 * name.
 *
 * @example
 * const models = await catalog.list(); // [{ id: 'oai/gpt-5', object: 'model', created: 0, owned_by: 'oai' }, …]
 */
export class ModelCatalog {
  readonly #dependencies: ModelCatalogDependencies;

  constructor(dependencies: ModelCatalogDependencies) {
    this.#dependencies = dependencies;
  }

  /** Every configured provider's models; a provider whose upstream does not answer is left out. */
  async list(): Promise<ModelObject[]> {
    const { providers, logger } = this.#dependencies;
    const lists = await Promise.all(
      providers.providers.map(async (provider) => {
        try {
          const models = await provider.listModels(AbortSignal.timeout(listTimeoutMs));
          return models.map((model) => toModelObject(`${provider.name}/${model}`, provider.name));
        } catch (error) {
          // One unreachable upstream must not hide the others' models.
          logger.warn('listing models failed', { provider: provider.name, error: String(error) });
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /** One model by the name a request would give; `model_not_found` when its upstream does not list it. */
  async get(model: string): Promise<ModelObject> {
    const resolved = this.#dependencies.providers.resolve(model);
    // Known only if the upstream lists it; an upstream that cannot list its models is taken at its word.
    const listed = await resolved.provider
      .listModels(AbortSignal.timeout(listTimeoutMs))
      .catch((): readonly string[] => []);
    if (listed.length > 0 && !listed.includes(resolved.model)) {
      throw new BerthError('model_not_found', `The model '${model}' does not exist.`, { param: 'model' });
    }
    return toModelObject(`${resolved.provider.name}/${resolved.model}`, resolved.provider.name);
  }
}

function toModelObject(id: string, ownedBy: string): ModelObject {
  return { id, object: 'model', created: 0, owned_by: ownedBy };
}
