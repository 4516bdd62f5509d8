/**
 * The non-finite guard's record on WebGL in two programs per step instead of a dozen kernels, each with the packs
 * and unpacks the backend inserts around it (32 programs a step on the plain MLP, as many as its whole backward pass).
 *
 * The record is one packed vector `[badStep, skipped, badRow, open]`. `OptNonFiniteRecord` reads the old record and
 * the verdict's columns (`0 * g` summed along each gradient's last axis: 0 where a row is finite, NaN otherwise) and
 * writes the new one:
 * - `'throw'`: the first bad step and its first non-finite row are kept; open while no bad step is recorded.
 * - `'skip'`: the last bad step, its row, and a count; open unless this step is bad.
 * `OptNonFiniteGate` reads `open` into a bool scalar, the gate that the step's writes go through. Both run on
 * packed textures, as the matrix products that make the columns and the fused Adam programs that take the gate do.
 */
import { tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';

const RECORD = 'OptNonFiniteRecord';
const GATE = 'OptNonFiniteGate';

/** Larger than any step index a float32 holds exactly (2^24): "no bad step" under `'throw'`. */
export const NO_BAD_STEP = 2 ** 30;

/**
 * Columns per program: WebGL 2 guarantees 16 texture units, and the record takes one. More columns are joined
 * into one first.
 */
export const MAX_COLUMNS = 12;

/** A program over packed textures (as tfjs's own packed programs are written). */
function packedProgram(
  variableNames: string[],
  outputShape: number[],
  userCode: string,
  uniforms: string[] = [],
): WebGLProgram {
  return {
    variableNames,
    outputShape,
    packedInputs: true,
    packedOutput: true,
    customUniforms: uniforms.map((name) => ({ name, type: 'float' })),
    userCode,
  };
}

/**
 * The record program for columns of `rows[i]` rows each (rows of column i follow those of column i - 1 in the
 * record's row numbering). A packed [r, 1] texel holds rows r and r + 1 of the column in x and z.
 */
function recordProgram(rows: readonly number[], policy: 'throw' | 'skip'): WebGLProgram {
  let offset = 0;
  const scans = rows
    .map((r, i) => {
      const scan = `
        for (int r = 0; r < ${r}; r += 2) {
          if (bad >= 0.0) break;
          vec4 t = getC${i}(r, 0);
          if (!(t.x == 0.0)) bad = float(${offset} + r);
          else if (r + 1 < ${r} && !(t.z == 0.0)) bad = float(${offset} + r + 1);
        }`;
      offset += r;
      return scan;
    })
    .join('\n');
  const update =
    policy === 'throw'
      ? `if (bad >= 0.0 && badStep == ${NO_BAD_STEP}.0) { badStep = step; badRow = bad; }
         float open = badStep == ${NO_BAD_STEP}.0 ? 1.0 : 0.0;`
      : `if (bad >= 0.0) { badStep = step; badRow = bad; skipped += 1.0; }
         float open = bad >= 0.0 ? 0.0 : 1.0;`;
  return packedProgram(
    [...rows.map((_, i) => `C${i}`), 'Record'],
    [4],
    `
      void main() {
        int index = getOutputCoords();
        vec4 first = getRecord(0);
        vec4 second = getRecord(2);
        float badStep = first.x;
        float skipped = first.y;
        float badRow = second.x;
        float bad = -1.0;
        ${scans}
        ${update}
        setOutput(index == 0 ? vec4(badStep, skipped, 0.0, 0.0) : vec4(badRow, open, 0.0, 0.0));
      }
    `,
    ['step'],
  );
}

const gateProgram = (): WebGLProgram =>
  packedProgram(
    ['Record'],
    [],
    `
      void main() {
        setOutput(vec4(getRecord(2).y));
      }
    `,
  );

const KERNELS: Record<string, WebGLKernel> = {
  [RECORD]: (inputs, attrs) => {
    const rows = attrs.rows as number[];
    return {
      program: recordProgram(rows, attrs.policy as 'throw' | 'skip'),
      inputs: [...rows.map((_, i) => inputs[`c${i}`] as tf.TensorInfo), inputs.record as tf.TensorInfo],
      uniforms: [[attrs.step as number]],
    };
  },
  [GATE]: (inputs) => ({ program: gateProgram(), inputs: [inputs.record as tf.TensorInfo], dtype: 'bool' }),
};

/** Whether the active backend runs the record programs (WebGL); registers them on first use. */
export function recordProgramsAvailable(): boolean {
  return webglKernels(KERNELS);
}

/** A fresh record: no bad step, nothing skipped, open. */
export function initialRecord(policy: 'throw' | 'skip'): tf.Tensor {
  return tf.tensor1d([policy === 'throw' ? NO_BAD_STEP : -1, 0, -1, 1]);
}

/**
 * The record after a step whose verdict columns are `columns` (each [rows, 1]; at most {@link MAX_COLUMNS}), and
 * the step's gate.
 */
export function nextRecord(
  record: tf.Tensor,
  columns: readonly tf.Tensor[],
  step: number,
  policy: 'throw' | 'skip',
): { record: tf.Tensor; gate: tf.Tensor } {
  const engine = tf.engine();
  const inputs: Record<string, tf.Tensor> = { record };
  columns.forEach((c, i) => {
    inputs[`c${i}`] = c;
  });
  const rows = columns.map((c) => c.shape[0] as number);
  const next = engine.runKernel(RECORD, inputs, { rows, policy, step }) as tf.Tensor;
  return { record: next, gate: engine.runKernel(GATE, { record: next }) as tf.Tensor };
}
