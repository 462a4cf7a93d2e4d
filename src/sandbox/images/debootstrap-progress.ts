/**
 * Progress of an image build, derived from `debootstrap`'s own `I:` lines.
 *
 * debootstrap announces no package count up front, so the download stage only counts; once it ends,
 * the count is the number of packages. The extract stage (the essential packages unpacked by hand
 * before dpkg can run) counts too, and the install stage runs to twice the package count (each
 * package is unpacked once and configured once by dpkg). A few packages have no `Unpacking` line of
 * their own, so the bar may stop a little short of the end until debootstrap says it is done.
 */
export interface BuildProgress {
  readonly stage: 'resolve' | 'download' | 'extract' | 'install' | 'finish';
  /** Steps done in this stage. */
  readonly done: number;
  /** Steps in this stage, when known. */
  readonly total: number | undefined;
  /** What is happening now: a package name or a sentence. */
  readonly message: string;
}

/** One line of debootstrap's output, classified. */
export type DebootstrapLine =
  | { readonly kind: 'retrieving' | 'validating'; readonly package: string; readonly version: string }
  | { readonly kind: 'extracting' | 'unpacking' | 'configuring'; readonly package: string }
  | { readonly kind: 'installed' }
  | { readonly kind: 'info' | 'warning' | 'error'; readonly message: string }
  | { readonly kind: 'other'; readonly text: string };

export function parseDebootstrapLine(line: string): DebootstrapLine {
  const text = line.trimEnd();
  // `I: Retrieving libc6 2.36-9` names a package and its version; `I: Retrieving InRelease ` (an
  // index file) has no version and is a plain message.
  const fetch = /^I: (Retrieving|Validating) (\S+) (\S+)$/.exec(text);
  if (fetch) {
    const kind = fetch[1] === 'Retrieving' ? 'retrieving' : 'validating';
    return { kind, package: fetch[2] ?? '', version: fetch[3] ?? '' };
  }
  // Package names never contain spaces, which tells `I: Unpacking gzip...` from
  // `I: Unpacking required packages...`.
  const install = /^I: (Extracting|Unpacking|Configuring) (\S+)\.\.\.$/.exec(text);
  if (install) {
    const kind =
      install[1] === 'Extracting' ? 'extracting' : install[1] === 'Unpacking' ? 'unpacking' : 'configuring';
    return { kind, package: install[2] ?? '' };
  }
  if (text === 'I: Base system installed successfully.') return { kind: 'installed' };
  const message = /^([IWE]): (.*)$/.exec(text);
  if (message) {
    const kind = message[1] === 'I' ? 'info' : message[1] === 'W' ? 'warning' : 'error';
    return { kind, message: message[2] ?? '' };
  }
  return { kind: 'other', text };
}

/** Turns debootstrap's lines into `BuildProgress`, one line at a time. */
export class DebootstrapProgressTracker {
  #stage: 'resolve' | 'download' | 'extract' | 'install' = 'resolve';
  #downloaded = 0;
  #extracted = 0;
  #installSteps = 0;

  /** The progress after `line`, or undefined when the line changes nothing worth showing. */
  feed(line: string): BuildProgress | undefined {
    const parsed = parseDebootstrapLine(line);
    switch (parsed.kind) {
      case 'retrieving':
        this.#stage = 'download';
        return this.#download(parsed.package);
      case 'validating':
        this.#downloaded += 1;
        return this.#download(parsed.package);
      case 'extracting':
        this.#stage = 'extract';
        this.#extracted += 1;
        return { stage: 'extract', done: this.#extracted, total: undefined, message: parsed.package };
      case 'unpacking':
      case 'configuring':
        this.#stage = 'install';
        return this.#install(1, parsed.package);
      case 'installed':
        this.#stage = 'install';
        this.#installSteps = this.#installTotal;
        return {
          stage: 'install',
          done: this.#installSteps,
          total: this.#installTotal,
          message: 'installed',
        };
      case 'info':
        if (this.#stage === 'resolve')
          return { stage: 'resolve', done: 0, total: undefined, message: parsed.message };
        return undefined;
      case 'warning':
      case 'error':
      case 'other':
        return undefined;
    }
  }

  get #installTotal(): number {
    return 2 * this.#downloaded;
  }

  #download(current: string): BuildProgress {
    return { stage: 'download', done: this.#downloaded, total: undefined, message: current };
  }

  #install(steps: number, current: string): BuildProgress {
    // Never reach the end before debootstrap says it is done.
    this.#installSteps = Math.min(this.#installSteps + steps, Math.max(this.#installTotal - 1, 0));
    return { stage: 'install', done: this.#installSteps, total: this.#installTotal, message: current };
  }
}
