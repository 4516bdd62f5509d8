/**
 * The WebGL kernels of this package's ops, registered for the active WebGL backend on first use: Adam's three
 * passes, the gated write of `applyUpdates`, and the three programs of the non-finite verdict. Each program
 * samples packed textures, as the matrix products and tfjs's own packed programs around them do, so that the backend
 * inserts no pack or unpack between them.
 */
import { textureRecord, tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';

export const ADAM_MOMENTUM = 'OptAdamMomentum';
export const ADAM_VELOCITY = 'OptAdamVelocity';
export const ADAM_UPDATE = 'OptAdamUpdate';
export const APPLY_UPDATES = 'OptApplyUpdates';
export const VERDICT_ROWS = 'OptNonFiniteRows';
export const VERDICT_RECORD = 'OptNonFiniteRecord';
export const VERDICT_GATE = 'OptNonFiniteGate';

/** Larger than any step index a float32 holds exactly (2^24): "no bad step" in a `'throw'` record. */
export const NO_BAD_STEP = 2 ** 30;

/** Columns per record program: WebGL 2 guarantees 16 texture units and the record takes one. */
export const MAX_COLUMNS = 12;

function packed(
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
 * An elementwise program: `body` sets `result` from vec4s named after the inputs; `open` is the gate. `direct`: each
 * input is sampled at the output's texel, with no coordinates computed (see {@link texelsAlign}).
 */
function gated(shape: number[], inputs: string[], uniforms: string[], body: string, direct: boolean): WebGLProgram {
  const texture = tf.env().getNumber('WEBGL_VERSION') === 2 ? 'texture' : 'texture2D';
  const sample = (name: string) => (direct ? `${texture}(${name}, resultUV)` : `get${name}AtOutCoords()`);
  const samples = inputs.map((name) => `vec4 ${name.toLowerCase()} = ${sample(name)};`).join('\n');
  const program = packed(
    [...inputs, 'Gate'],
    shape,
    `void main() {
        ${samples}
        bool open = getGate().x > 0.5;
        vec4 result;
        ${body}
        setOutput(result);
      }`,
    uniforms,
  );
  // Shapes as uniforms: one compiled program per rank serves every variable.
  return { ...program, enableShapeUniforms: shape.length <= 4 };
}

/**
 * Whether the inputs' packed textures are laid out as the output of `shape` will be (one texture shape, and one of
 * them laid out for `shape` itself), so that the output's texel holds the same elements in each: an elementwise
 * program then samples them at its own texel, without the coordinates (divisions by the shape) per sample.
 */
function texelsAlign(inputs: readonly tf.TensorInfo[], shape: readonly number[]): boolean {
  const records = inputs.map(textureRecord);
  const texShape = records[0]?.texShape;
  if (texShape == null) return false;
  const same = (a: readonly number[] | null | undefined, b: readonly number[]) =>
    a != null && a.length === b.length && a.every((d, i) => d === b[i]);
  return (
    records.every((r) => r?.isPacked === true && r.texture != null && r.slice == null && same(r.texShape, texShape)) &&
    records.some((r) => same(r?.shape, shape))
  );
}

const ELEMENTWISE: ReadonlyArray<{ kernelName: string; inputs: string[]; uniforms: string[]; body: string }> = [
  {
    kernelName: ADAM_MOMENTUM,
    inputs: ['G', 'M'],
    uniforms: ['oneMinusBeta'],
    body: 'result = open ? m + (g - m) * oneMinusBeta : m;',
  },
  {
    kernelName: ADAM_VELOCITY,
    inputs: ['G', 'V'],
    uniforms: ['oneMinusBeta'],
    body: 'result = open ? v + (g * g - v) * oneMinusBeta : v;',
  },
  {
    kernelName: ADAM_UPDATE,
    inputs: ['M', 'V'],
    uniforms: ['stepSize', 'epsilon'],
    body: 'result = open ? (m * stepSize) / (sqrt(v) + epsilon) : vec4(0.0);',
  },
  { kernelName: APPLY_UPDATES, inputs: ['W', 'U'], uniforms: [], body: 'result = open ? w + u : w;' },
];

/** Rows of a gradient seen as a matrix `[rows, columns]`, and its rows in the verdict's column: `rows` made even. */
export function paddedRows(rows: number): number {
  return rows + (rows % 2);
}

/**
 * The verdict's column for gradients seen as matrices `[r, c]` (a product per gradient before): row `i` is the sum of
 * `zero * x` over the row's elements, 0 when they are finite and NaN otherwise; each gradient's rows start at an even
 * row of the column (an odd count is followed by a row of 0), so that a texel holds rows of one gradient only.
 */
function rowsProgram(shapes: ReadonlyArray<readonly [number, number]>): WebGLProgram {
  let start = 0;
  const branches = shapes.map(([r, c], i) => {
    const end = start + paddedRows(r);
    // A texel [row, col] holds rows row, row + 1 (x y, z w) and columns col, col + 1 (x z, y w).
    const branch = `if (row < ${end}) {
          int r = row - ${start};
          for (int c = 0; c < ${c}; c += 2) {
            vec4 p = zero * getG${i}(r, c);
            s += ${c % 2 === 0 ? 'p.xz + p.yw' : `c + 1 < ${c} ? p.xz + p.yw : p.xz`};
          }
          ${r % 2 === 1 ? `if (r + 1 == ${r}) s.y = 0.0;` : ''}
        }`;
    start = end;
    return branch;
  });
  return packed(
    shapes.map((_, i) => `G${i}`),
    [start, 1],
    `void main() {
        int row = getOutputCoords().x;
        vec2 s = vec2(0.0);
        ${branches.join(' else ')}
        setOutput(vec4(s.x, 0.0, s.y, 0.0));
      }`,
    ['zero'],
  );
}

/**
 * The record program for columns of `rows[i]` rows each (`0 * g` summed along each gradient's last axis: 0 where a
 * row is finite, NaN otherwise). The record is `[badStep, skipped, badRow, open]`; a packed [r, 1] texel holds rows
 * r and r + 1 of a column in x and z. `'throw'` keeps the first bad step, `'skip'` the last and a count.
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
  return packed(
    [...rows.map((_, i) => `C${i}`), 'Record'],
    [4],
    `void main() {
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
      }`,
    ['step'],
  );
}

const KERNELS: Record<string, WebGLKernel> = {
  ...Object.fromEntries(
    ELEMENTWISE.map(({ kernelName, inputs, uniforms, body }) => [
      kernelName,
      (given: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>) => {
        const sampled = inputs.map((name) => given[name.toLowerCase()]) as tf.TensorInfo[];
        const shape = (sampled[0] as tf.TensorInfo).shape;
        const tensors = [...sampled, given.gate as tf.TensorInfo];
        return {
          program: gated(shape, inputs, uniforms, body, texelsAlign(sampled, shape)),
          inputs: tensors,
          uniforms: uniforms.map((name) => [attrs[name] as number]),
        };
      },
    ]),
  ),
  [VERDICT_ROWS]: (inputs, attrs) => {
    const shapes = attrs.shapes as Array<[number, number]>;
    return {
      program: rowsProgram(shapes),
      inputs: shapes.map((_, i) => inputs[`g${i}`] as tf.TensorInfo),
      uniforms: [[0]],
    };
  },
  [VERDICT_RECORD]: (inputs, attrs) => {
    const rows = attrs.rows as number[];
    return {
      program: recordProgram(rows, attrs.policy as 'throw' | 'skip'),
      inputs: [...rows.map((_, i) => inputs[`c${i}`] as tf.TensorInfo), inputs.record as tf.TensorInfo],
      uniforms: [[attrs.step as number]],
    };
  },
  [VERDICT_GATE]: (inputs) => ({
    program: packed(['Record'], [], 'void main() { setOutput(vec4(getRecord(2).y)); }'),
    inputs: [inputs.record as tf.TensorInfo],
    dtype: 'bool',
  }),
};

/** Whether the active backend runs this package's WebGL kernels; registers them on first use. */
export function webglOps(): boolean {
  return webglKernels(KERNELS);
}
