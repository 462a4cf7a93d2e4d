/**
 * Counters and histograms for Berth's own series, rendered by prom-client's registry (they have the
 * shape its `registerMetric` takes: a name, a type and `get()`). prom-client's own Counter and
 * Histogram check and hash the label set on every call, their children included: measured, that was
 * most of what metrics cost a response (a dozen observations each). Here a label set is looked up once
 * per call in a Map and the observation is a few additions; the checks prom-client would make hold by
 * construction (label names are fixed per series, values are strings from small sets).
 */

interface SeriesValue {
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly metricName?: string;
}

interface SeriesObject {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: SeriesValue[];
}

/** Children by label values joined with NUL (only one value of a set ever comes from a request). */
class Children<Child> {
  readonly #children = new Map<string, Child>();

  constructor(
    private readonly labelNames: readonly string[],
    private readonly make: (labels: Record<string, string>) => Child,
  ) {
    // A series without labels is shown (at zero) from the start, as Prometheus clients do.
    if (labelNames.length === 0) this.get([]);
  }

  get(values: readonly string[]): Child {
    const key = values.length === 1 ? (values[0] ?? '') : values.join('\u0000');
    let child = this.#children.get(key);
    if (child === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, index) => (labels[name] = values[index] ?? ''));
      child = this.make(labels);
      this.#children.set(key, child);
    }
    return child;
  }

  all(): IterableIterator<Child> {
    return this.#children.values();
  }
}

export interface CounterChild {
  readonly labels: Record<string, string>;
  value: number;
}

/** A monotonically increasing count per label set. */
export class CounterSeries {
  readonly type = 'counter';
  readonly #children: Children<CounterChild>;

  constructor(
    readonly name: string,
    private readonly help: string,
    labelNames: readonly string[],
  ) {
    this.#children = new Children(labelNames, (labels) => ({ labels, value: 0 }));
  }

  inc(values: readonly string[], by = 1): void {
    this.#children.get(values).value += by;
  }

  get(): Promise<SeriesObject> {
    const values = [...this.#children.all()].map(({ labels, value }) => ({ labels, value }));
    return Promise.resolve({ name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values });
  }
}

interface HistogramChild {
  readonly labels: Record<string, string>;
  /** Observations per bucket, not cumulative; the last is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets per label set, with their sum and count. */
export class HistogramSeries {
  readonly type = 'histogram';
  readonly #children: Children<HistogramChild>;

  constructor(
    readonly name: string,
    private readonly help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    this.#children = new Children(labelNames, (labels) => ({
      labels,
      counts: new Float64Array(bounds.length + 1),
      sum: 0,
      count: 0,
    }));
  }

  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const child = this.#children.get(values);
    let bucket = 0;
    while (bucket < this.bounds.length && value > (this.bounds[bucket] ?? Infinity)) bucket += 1;
    child.counts[bucket] = (child.counts[bucket] ?? 0) + 1;
    child.sum += value;
    child.count += 1;
  }

  get(): Promise<SeriesObject> {
    const values: SeriesValue[] = [];
    for (const { labels, counts, sum, count } of this.#children.all()) {
      let cumulative = 0;
      [...this.bounds, Infinity].forEach((bound, index) => {
        cumulative += counts[index] ?? 0;
        values.push({
          labels: { ...labels, le: bound === Infinity ? '+Inf' : String(bound) },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram',
      aggregator: 'sum',
      values,
    });
  }
}
