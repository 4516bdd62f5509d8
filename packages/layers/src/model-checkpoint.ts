/** Keras 3's ModelCheckpoint: a full checkpoint at the end of every epoch, or of every epoch that improves. */
import type { Callback, CallbackModel, Logs } from '@opt/schedules';
import { type Mode, resolveMode, stateKeyOption } from './callbacks.js';
import { saveModel } from './checkpoint.js';
import { type CheckpointTarget, toStore } from './checkpoint-target.js';
import { type Checkpointable, isCheckpointable } from './checkpointable.js';
import { knownOptions, show } from './validate.js';

/**
 * Runs one save of a {@link ModelCheckpoint} in place of writing it directly: `write()` writes the checkpoint;
 * a hook that does not call it skips the save (and, with saveBestOnly, `best` stays as it was).
 */
export type SaveHook = (write: () => Promise<void>, epoch: number, logs: Logs) => Promise<void>;

/** Options of {@link ModelCheckpoint}: Keras's arguments in camelCase, with Keras's defaults. */
export interface ModelCheckpointOptions {
  /** Log key compared with `saveBestOnly`. Default 'val_loss'. */
  readonly monitor?: string;
  /** 0: quiet, 1: a line per save or skip. Default 0. */
  readonly verbose?: 0 | 1;
  /** Save only when `monitor` improves. Default false (every epoch). */
  readonly saveBestOnly?: boolean;
  /** Which way `monitor` improves. Default 'auto'. */
  readonly mode?: Mode;
  /** With saveBestOnly: the value to beat at first. */
  readonly initialValueThreshold?: number;
  /** Where the verbose messages go. Default console.log. */
  readonly log?: (line: string) => void;
  /**
   * The key its state (the best value so far) has in checkpoints; default 'ModelCheckpoint'. Two
   * ModelCheckpoints in one fit (e.g. the best and the last) each need their own.
   */
  readonly stateKey?: string;
  /**
   * Beyond Keras: runs each save (epoch 0-based), e.g. to skip saves once a run has diverged, to track writes in
   * flight, or to report a save. Default `(write) => write()`.
   */
  readonly onSave?: SaveHook;
}

/**
 * Saves a full checkpoint (weights, optimizer state, configs, epoch, random
 * streams) at the end of every epoch, or only on improvement of `monitor`. A
 * directory path may contain `{epoch}` or `{epoch:02d}` (1-based, as Keras).
 * Writes are atomic: a run killed mid-save keeps its previous checkpoint.
 */
export class ModelCheckpoint implements Callback {
  /** The key under which checkpoints keep {@link getState}'s best value. */
  readonly stateKey: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: 'min' | 'max';
  best: number;
  /** Where the last checkpoint went. */
  lastSaved: string | null = null;
  private model: CallbackModel | undefined;
  private readonly verbose: 0 | 1;
  private readonly log: (line: string) => void;
  private readonly onSave: SaveHook;

  constructor(
    readonly target: CheckpointTarget,
    options: ModelCheckpointOptions = {},
  ) {
    knownOptions('ModelCheckpoint', options, [
      'monitor',
      'verbose',
      'saveBestOnly',
      'mode',
      'initialValueThreshold',
      'log',
      'stateKey',
      'onSave',
    ]);
    toStore(typeof target === 'string' ? formatEpoch(target, 0) : target);
    this.monitor = options.monitor ?? 'val_loss';
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.mode = resolveMode('ModelCheckpoint', options.mode ?? 'auto', this.monitor);
    this.best =
      options.initialValueThreshold ?? (this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    this.verbose = options.verbose ?? 0;
    this.log = options.log ?? ((line) => console.log(line));
    this.stateKey = stateKeyOption('ModelCheckpoint', options.stateKey);
    if (options.onSave !== undefined && typeof options.onSave !== 'function') {
      throw new TypeError(
        `ModelCheckpoint: \`onSave\` must be a function (write, epoch, logs) => Promise<void>, got ${show(options.onSave)}.`,
      );
    }
    this.onSave = options.onSave ?? ((write) => write());
  }

  /** Keeps the model the callback acts on (Keras's `set_model`). */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** The best monitored value so far, for checkpoints. */
  getState(): { best: number | null } {
    return { best: Number.isFinite(this.best) ? this.best : null };
  }

  /** Restores {@link getState}'s best value on resume. */
  setState(state: { best: number | null }): void {
    if (state.best !== null) this.best = state.best;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const model = checkpointable('ModelCheckpoint', this.model);
    const current = logs[this.monitor];
    if (this.saveBestOnly) {
      if (current === undefined) {
        this.log(`ModelCheckpoint: "${this.monitor}" is not in the logs; saving skipped.`);
        return;
      }
      const better = this.mode === 'min' ? current < this.best : current > this.best;
      if (!better) return;
    }
    const target = typeof this.target === 'string' ? formatEpoch(this.target, epoch + 1) : this.target;
    const store = toStore(target);
    const before = this.best;
    let written = false;
    await this.onSave(
      async () => {
        // The new best is in the state of the checkpoint it writes.
        if (this.saveBestOnly) this.best = current as number;
        try {
          await saveModel(model, store);
        } catch (error) {
          this.best = before;
          throw error;
        }
        written = true;
      },
      epoch,
      logs,
    );
    if (!written) return;
    if (this.saveBestOnly && this.verbose > 0)
      this.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${before} to ${current}`);
    this.lastSaved = typeof target === 'string' ? target : store.description;
    if (this.verbose > 0) this.log(`Epoch ${epoch + 1}: saved checkpoint to ${this.lastSaved}`);
  }
}

function checkpointable(where: string, model: CallbackModel | undefined): Checkpointable {
  if (!isCheckpointable(model))
    throw new Error(`${where} needs a @opt/layers Sequential model (it is set by model.fit).`);
  return model;
}

/** `{epoch}` and `{epoch:02d}` in a path, 1-based as Keras. */
function formatEpoch(path: string, epoch: number): string {
  return path.replace(/\{epoch(?::0?(\d+)d)?\}/g, (_, width: string | undefined) =>
    String(epoch).padStart(width === undefined ? 0 : Number(width), '0'),
  );
}
