import { basename } from 'node:path';
import type { StoredContainerFile } from '../store/store.js';

/** OpenAI's `container_file_citation` annotation on an `output_text` part. */
export interface ContainerFileCitation {
  readonly type: 'container_file_citation';
  readonly container_id: string;
  readonly file_id: string;
  readonly filename: string;
  readonly start_index: number;
  readonly end_index: number;
}

/**
 * Cites the container's files that a final answer names, so a client can offer them for download:
 * every mention of a file's full path (`/mnt/data/report.csv`, with an optional `sandbox:` prefix as
 * OpenAI's models write it), and a bare file name when it is a file the commands wrote and no other file
 * has that name. Indices are in UTF-16 code units, as JavaScript (and OpenAI's SDK) count them.
 */
export function citeContainerFiles(
  text: string,
  containerId: string,
  files: readonly StoredContainerFile[],
): ContainerFileCitation[] {
  const citations: ContainerFileCitation[] = [];
  const covered: [number, number][] = [];
  const cite = (file: StoredContainerFile, start: number, end: number) => {
    if (covered.some(([from, to]) => start < to && end > from)) return;
    covered.push([start, end]);
    citations.push({
      type: 'container_file_citation',
      container_id: containerId,
      file_id: file.id,
      filename: basename(file.path),
      start_index: start,
      end_index: end,
    });
  };
  // Longest paths first, so `/mnt/data/a.csv.gz` is not cited as `/mnt/data/a.csv`.
  const byLength = [...files].sort((a, b) => b.path.length - a.path.length);
  for (const file of byLength) {
    for (const start of occurrences(text, file.path)) {
      const prefixed = text.slice(Math.max(0, start - 8), start) === 'sandbox:';
      cite(file, prefixed ? start - 8 : start, start + file.path.length);
    }
  }
  const nameCounts = new Map<string, number>();
  for (const file of files)
    nameCounts.set(basename(file.path), (nameCounts.get(basename(file.path)) ?? 0) + 1);
  for (const file of byLength) {
    const name = basename(file.path);
    if (file.source !== 'assistant' || nameCounts.get(name) !== 1 || !name.includes('.')) continue;
    for (const start of occurrences(text, name)) {
      const before = text[start - 1] ?? ' ';
      const after = text[start + name.length] ?? ' ';
      if (/[\w./-]/.test(before) || /[\w/-]/.test(after)) continue;
      cite(file, start, start + name.length);
    }
  }
  return citations.sort((a, b) => a.start_index - b.start_index);
}

function* occurrences(text: string, needle: string): Generator<number> {
  if (needle.length === 0) return;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) yield at;
}
