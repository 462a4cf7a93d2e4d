/**
 * The project every request belongs to when the server runs without keys, and the project a key is
 * made for when none is named.
 */
export const defaultProjectId = 'default';
