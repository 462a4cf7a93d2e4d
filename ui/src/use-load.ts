import { useCallback, useEffect, useState } from 'preact/hooks';

/** Something the page loads: its value, its error, and a way to load it again. */
export interface Loaded<T> {
  readonly value: T | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, dependencies: unknown[]): Loaded<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [round, setRound] = useState(0);
  const run = useCallback(load, dependencies);
  useEffect(() => {
    let current = true;
    run().then(
      (loaded) => {
        if (!current) return;
        setValue(loaded);
        setError(undefined);
      },
      (failure: unknown) => {
        if (current) setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [run, round]);
  return { value, error, reload: () => setRound((count) => count + 1) };
}
