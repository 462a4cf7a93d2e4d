/** A promise the test resolves when it is ready: a fake's scripted turn waits on `opened`. */
export interface OpenableGate {
  /** Settles once `open` is called. */
  readonly opened: Promise<void>;
  /** Lets whatever waits on the gate go on. */
  open(): void;
}

/**
 * A closed gate. Hand `opened` to something that must wait (a scripted upstream turn's `gate`) and call
 * `open` once the test has seen what had to happen first: the order is the test's, not a timer's.
 */
export function openableGate(): OpenableGate {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
