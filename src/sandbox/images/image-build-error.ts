/** A build that cannot start or did not finish; the message says why in words a user can act on. */
export class ImageBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageBuildError';
  }
}

/** The build was stopped (Ctrl-C, SIGTERM) and cleaned up. */
export class ImageBuildInterruptedError extends ImageBuildError {
  constructor() {
    super('the image build was interrupted; nothing was left behind');
    this.name = 'ImageBuildInterruptedError';
  }
}
