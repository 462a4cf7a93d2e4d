/** The time source. Injected so tests can control time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** OpenAI timestamps are Unix seconds. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
