import { InvalidArgumentError, type Command } from 'commander';
import cliProgress, { type Options, type Params } from 'cli-progress';
import { buildDebianImage, debianImageName } from '../sandbox/images/debian-image.js';
import type { BuildProgress } from '../sandbox/images/debootstrap-progress.js';
import { ImageBuildInterruptedError } from '../sandbox/images/image-build-error.js';
import { listImages, removeImage } from '../sandbox/images/image-store.js';
import { addDataOptions, loadConfigOrExit, type DataOptions } from './common-options.js';

interface BuildOptions extends DataOptions {
  readonly packages?: string[];
  readonly mirror?: string;
  readonly suite?: string;
}

export function registerImageCommand(program: Command): void {
  const image = program.command('image').description('build and manage the container images sandboxes run');

  addDataOptions(
    image
      .command('build')
      .description('build an image (needs root): debian is a debootstrap minbase of the host release')
      .argument('<name>', `the image to build: ${debianImageName}`)
      .option('--packages <list>', 'more Debian packages to install, comma-separated', parsePackageList)
      .option('--mirror <url>', "Debian archive to use (default: the host apt's)")
      .option('--suite <suite>', "Debian release to install (default: the host's)"),
  ).action(async (name: string, options: BuildOptions) => {
    if (name !== debianImageName) {
      console.error(`berth: unknown image '${name}' (the images that can be built: ${debianImageName})`);
      process.exitCode = 1;
      return;
    }
    const config = loadConfigOrExit(options);
    await buildImage(config.dataDir, options);
  });

  addDataOptions(image.command('ls').description('list built images')).action(
    async (options: DataOptions) => {
      const images = await listImages(loadConfigOrExit(options).dataDir);
      if (images.length === 0) {
        console.log('no images');
        return;
      }
      const rows = [
        ['NAME', 'SIZE', 'BUILT_AT', 'PACKAGES'],
        ...images.map(({ manifest }) => [
          manifest.name,
          formatBytes(manifest.bytes),
          new Date(manifest.builtAt * 1000).toISOString().replace('.000Z', 'Z'),
          manifest.packages.join(','),
        ]),
      ];
      const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
      for (const row of rows) {
        console.log(
          row
            .map((cell, column) => cell.padEnd(widths[column] ?? 0))
            .join('  ')
            .trimEnd(),
        );
      }
    },
  );

  addDataOptions(
    image.command('rm').description('delete a built image').argument('<name>', 'image name'),
  ).action(async (name: string, options: DataOptions) => {
    const dataDir = loadConfigOrExit(options).dataDir;
    let removed: boolean;
    try {
      removed = await removeImage(dataDir, name);
    } catch (error) {
      console.error(`berth: could not remove ${name}: ${(error as Error).message}`);
      process.exitCode = 1;
      return;
    }
    if (!removed) {
      console.error(`berth: no image named '${name}'`);
      process.exitCode = 1;
      return;
    }
    console.log(`removed ${name}`);
  });
}

async function buildImage(dataDir: string, options: BuildOptions): Promise<void> {
  const started = Date.now();
  const reporter = createProgressReporter();
  const controller = new AbortController();
  let exitCode = 1;
  // Ctrl-C or SIGTERM stops debootstrap and deletes the unfinished build; a second one changes nothing
  // (the cleanup must finish, or mounts could be left inside the data directory).
  const stop = (signal: NodeJS.Signals): void => {
    exitCode = signal === 'SIGINT' ? 130 : 143;
    if (controller.signal.aborted) return;
    reporter.note(`berth: ${signal} received: stopping the build and cleaning up`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const image = await buildDebianImage(
      {
        dataDir,
        packages: options.packages,
        mirror: options.mirror,
        suite: options.suite,
        signal: controller.signal,
      },
      reporter.update,
    );
    reporter.stop();
    const { manifest } = image;
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(
      `built ${manifest.name}: ${formatBytes(manifest.bytes)}, ${manifest.suite} from ${manifest.mirror}, in ${seconds} s`,
    );
    console.log(`  rootfs: ${image.rootfs}`);
  } catch (error) {
    reporter.stop();
    // ImageBuildError messages are written for the user; anything else (a full disk, another build
    // holding the lock) is reported with its own message.
    console.error(`berth: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof ImageBuildInterruptedError ? exitCode : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

interface ProgressReporter {
  readonly update: (progress: BuildProgress) => void;
  /** Prints a line without garbling the bar. */
  readonly note: (line: string) => void;
  readonly stop: () => void;
}

const stageLabels: Record<BuildProgress['stage'], string> = {
  resolve: 'resolving',
  download: 'downloading',
  extract: 'extracting',
  install: 'installing',
  finish: 'finishing',
};

/** A bar on a terminal; on anything else (a log, CI), a plain line per stage and per quarter installed. */
function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: formatBar,
      hideCursor: true,
      gracefulExit: false,
      barsize: 30,
    });
    let started = false;
    // After a note (the build is being stopped) the bar is not drawn again.
    let closed = false;
    return {
      update(progress) {
        if (closed) return;
        const counting = progress.stage === 'download' || progress.stage === 'extract';
        const layout = counting ? 'count' : progress.total === undefined ? 'text' : 'bar';
        const payload = { stage: stageLabels[progress.stage], message: progress.message, layout };
        if (!started) {
          bar.start(progress.total ?? 1, progress.done, payload);
          started = true;
          return;
        }
        if (progress.total !== undefined && progress.total !== bar.getTotal()) bar.setTotal(progress.total);
        bar.update(progress.done, payload);
      },
      note(line) {
        closed = true;
        if (started) bar.stop();
        started = false;
        stream.write(`${line}\n`);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastStage: BuildProgress['stage'] | undefined;
  let lastQuarter = 0;
  return {
    update(progress) {
      if (progress.stage !== lastStage) {
        lastStage = progress.stage;
        lastQuarter = 0;
        stream.write(`berth: ${plainStageLine(progress)}\n`);
      }
      if (progress.total !== undefined && progress.total > 0) {
        const quarter = Math.floor((4 * progress.done) / progress.total);
        if (quarter > lastQuarter && quarter < 4) {
          lastQuarter = quarter;
          stream.write(`berth: ${stageLabels[progress.stage]} ${quarter * 25}%\n`);
        }
      }
    },
    note: (line) => stream.write(`${line}\n`),
    stop: () => undefined,
  };
}

function plainStageLine(progress: BuildProgress): string {
  switch (progress.stage) {
    case 'resolve':
      return `bootstrapping ${progress.message}`;
    case 'download':
      return 'downloading packages';
    case 'extract':
      return 'extracting the essential packages';
    case 'install':
      return `installing ${(progress.total ?? 0) / 2} packages`;
    case 'finish':
      return progress.message;
  }
}

const layouts = {
  text: '{stage}  {message}  {duration_formatted}',
  count: '{stage} {value} packages  {message}  {duration_formatted}',
  bar: '{stage} [{bar}] {percentage}% {value}/{total}  {message}  {duration_formatted}',
};

/** `installing [=====-----] 45% 128/286  libc6  32s`; while the total is unknown, only a count. */
function formatBar(options: Options, params: Params, payload: { layout: keyof typeof layouts }): string {
  return cliProgress.Format.Formatter({ ...options, format: layouts[payload.layout] }, params, payload);
}

/** `--packages a,b --packages c` adds up to a, b, c. */
function parsePackageList(value: string, previous: string[] = []): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('give at least one package name');
  return [...previous, ...names];
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}
