/**
 * Why an uploaded or inline skill bundle is refused, in words for the client. Callers turn it into a
 * 400 naming their own parameter (`files` for an upload, `skills[0].source.data` for an inline skill).
 */
export class SkillBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkillBundleError';
  }
}
