/**
 * Bounds on one skill bundle. The first three are what OpenAI documents for its Skills API (a zip of at
 * most 50 MB, at most 500 files, at most 25 MB per uncompressed file); the total is Berth's own, so a
 * zip bomb (a small zip that inflates to gigabytes) is stopped while it is being extracted — every
 * byte written is counted against it — rather than after it has filled the disk.
 */
export interface SkillLimits {
  /** Largest upload (a zip, or every `files[]` part together), in bytes. */
  readonly maxUploadBytes: number;
  /** Most files in one bundle (directories not counted). */
  readonly maxFiles: number;
  /** Largest single file once uncompressed, in bytes. */
  readonly maxFileBytes: number;
  /** Largest bundle once uncompressed, all files together, in bytes. */
  readonly maxTotalBytes: number;
}

const megabyte = 1024 * 1024;

export const defaultSkillLimits: SkillLimits = {
  maxUploadBytes: 50 * megabyte,
  maxFiles: 500,
  maxFileBytes: 25 * megabyte,
  maxTotalBytes: 128 * megabyte,
};

/** Longest path inside a bundle, in bytes (Linux's NAME_MAX per segment is checked too). */
export const maxBundlePathBytes = 1024;
