/**
 * Named weights as JSON plus one binary buffer: how optimizer state and model
 * checkpoints are stored, in Node files and in browser storage alike.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** A weight's values read back from a tensor, with its name and shape. */
export interface NamedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The JSON half of {@link packWeights}: where each weight lies in the buffer. */
export interface WeightsManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
  /** Offset into the buffer, in bytes. */
  readonly byteOffset: number;
}

/** Reads named tensors back to JavaScript (one `data()` each, awaited together). */
export async function readWeights(tensors: ReadonlyArray<{ name: string; tensor: tf.Tensor }>): Promise<NamedWeight[]> {
  const values = await Promise.all(tensors.map(({ tensor }) => tensor.data()));
  return tensors.map(({ name, tensor }, i) => {
    const v = values[i];
    if (!(v instanceof Float32Array)) {
      throw new TypeError(`Weight "${name}" has dtype ${tensor.dtype}; only float32 weights can be saved.`);
    }
    return { name, shape: tensor.shape.slice(), values: v };
  });
}

/** Lays weights end to end in one buffer and describes them in a JSON-ready manifest. */
export function packWeights(weights: readonly NamedWeight[]): { manifest: WeightsManifestEntry[]; data: Uint8Array } {
  const seen = new Set<string>();
  let bytes = 0;
  const manifest = weights.map((w) => {
    if (seen.has(w.name)) throw new Error(`Two weights are both named "${w.name}"; names must be unique.`);
    seen.add(w.name);
    const expected = w.shape.reduce((a, b) => a * b, 1);
    if (w.values.length !== expected) {
      throw new Error(
        `Weight "${w.name}" has ${w.values.length} values but shape [${w.shape.join(', ')}] needs ${expected}.`,
      );
    }
    const entry: WeightsManifestEntry = { name: w.name, shape: w.shape.slice(), dtype: 'float32', byteOffset: bytes };
    bytes += w.values.byteLength;
    return entry;
  });
  const data = new Uint8Array(bytes);
  weights.forEach((w, i) => {
    data.set(
      new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength),
      (manifest[i] as WeightsManifestEntry).byteOffset,
    );
  });
  return { manifest, data };
}

/** The inverse of {@link packWeights}; checks that the buffer holds every weight the manifest names. */
export function unpackWeights(manifest: readonly WeightsManifestEntry[], data: Uint8Array): NamedWeight[] {
  return manifest.map((entry) => {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const end = entry.byteOffset + count * 4;
    if (entry.dtype !== 'float32')
      throw new Error(`Weight "${entry.name}" has dtype ${String(entry.dtype)}; expected float32.`);
    if (end > data.byteLength) {
      throw new Error(
        `Weight "${entry.name}" needs bytes ${entry.byteOffset}..${end} but the weights buffer has only ${data.byteLength} bytes: the file is truncated or belongs to another manifest.`,
      );
    }
    // A copy, so that the values are aligned and independent of the buffer.
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(data.subarray(entry.byteOffset, end));
    return { name: entry.name, shape: entry.shape.slice(), values };
  });
}
