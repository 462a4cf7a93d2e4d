import type { StoredFile } from '../store/store.js';

/** The purposes a client may upload a file for (`POST /v1/files`), as OpenAI accepts them. */
export const uploadPurposes = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;

export type UploadPurpose = (typeof uploadPurposes)[number];

/** OpenAI's File object, as `/v1/files` serves it. */
export interface FileObject {
  readonly id: string;
  readonly object: 'file';
  readonly bytes: number;
  readonly created_at: number;
  readonly filename: string;
  readonly purpose: string;
  /** Deprecated by OpenAI; a stored file here is always ready, so always `processed`. */
  readonly status: 'processed';
  readonly expires_at: number | null;
}

export function toFileObject(file: StoredFile): FileObject {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    expires_at: file.expiresAt,
  };
}
