/** Thrown when a requested backend cannot load: says which, why, and what to do. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    /** The underlying reason, e.g. tfjs-node's missing native addon. */
    readonly reason: string,
    /** What the user can do about it. */
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`Backend "${backend}" is not available: ${reason}\n${hint}`, options);
  }
}
