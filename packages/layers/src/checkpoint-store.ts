/**
 * Where checkpoints live: a three-method store (`write`, `read`, `delete`) that Node directories
 * (`DirectoryStore`) and the browser's IndexedDB (`IndexedDbStore`) implement. Both write and delete
 * atomically: after a crash at any point, `read` returns the previous complete checkpoint, the new one, or
 * (after a delete) nothing, never a mix.
 */

/** The two parts of a checkpoint. */
export interface CheckpointFiles {
  readonly modelJson: string;
  readonly weights: Uint8Array;
}

/**
 * Where one checkpoint lives: a directory ({@link DirectoryStore}), IndexedDB ({@link IndexedDbStore}), a tfjs IO
 * handler, or your own storage implementing these three methods.
 */
export interface CheckpointStore {
  /** Replaces the stored checkpoint, atomically. */
  write(files: CheckpointFiles): Promise<void>;
  /** The stored checkpoint, or null when there is none. */
  read(): Promise<CheckpointFiles | null>;
  /** Removes the stored checkpoint, atomically; true if there was one, false if there was nothing to remove. */
  delete(): Promise<boolean>;
  /** For messages, e.g. the directory. */
  readonly description: string;
}
