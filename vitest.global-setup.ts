import { execFileSync } from 'node:child_process';

/** The CLI tests run the real `bin/berth.js`, which loads `dist/`: build it from the current source first. */
export default function buildBeforeTests(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
