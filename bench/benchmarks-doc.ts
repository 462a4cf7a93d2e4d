import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const header = `# Benchmarks

Figures measured on the project's own machines with the command next to each section. Every
benchmark compares against a baseline measured in the same run, because absolute times on a shared
machine drift from run to run.
`;

/** Replaces (or appends) the section between `<!-- name:start -->` and `<!-- name:end -->`. */
export function writeBenchmarkSection(path: string, name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : header;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
