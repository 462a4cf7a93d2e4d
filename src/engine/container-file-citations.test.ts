import { describe, expect, it } from 'vitest';
import type { StoredContainerFile } from '../store/store.js';
import { citeContainerFiles } from './container-file-citations.js';

function file(id: string, path: string, source: 'user' | 'assistant' = 'assistant'): StoredContainerFile {
  return { id, containerId: 'cntr_1', path, source, bytes: 1, createdAt: 0 };
}

describe('citeContainerFiles', () => {
  const files = [
    file('cfile_a', '/mnt/data/report.csv'),
    file('cfile_b', '/mnt/data/report.csv.gz'),
    file('cfile_c', '/mnt/data/input.csv', 'user'),
  ];

  it('cites full paths, with a sandbox: prefix, preferring the longest path', () => {
    const text = 'See sandbox:/mnt/data/report.csv and /mnt/data/report.csv.gz.';
    expect(citeContainerFiles(text, 'cntr_1', files)).toEqual([
      {
        type: 'container_file_citation',
        container_id: 'cntr_1',
        file_id: 'cfile_a',
        filename: 'report.csv',
        start_index: 4,
        end_index: 4 + 'sandbox:/mnt/data/report.csv'.length,
      },
      expect.objectContaining({ file_id: 'cfile_b', start_index: text.indexOf('/mnt/data/report.csv.gz') }),
    ]);
  });

  it('cites a bare name only for a file the commands wrote, and only as a whole word', () => {
    const text = 'I wrote report.csv.gz from input.csv; myreport.csv is not it.';
    const citations = citeContainerFiles(text, 'cntr_1', files);
    expect(citations).toEqual([
      expect.objectContaining({ file_id: 'cfile_b', start_index: text.indexOf('report.csv.gz') }),
    ]);
  });

  it('cites nothing in text that names no file', () => {
    expect(citeContainerFiles('All done.', 'cntr_1', files)).toEqual([]);
  });
});
