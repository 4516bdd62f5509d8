/**
 * Activation functions with their gradients written in terms of the output,
 * so that a layer's backward pass needs only what its forward pass returned.
 */
import { tf } from '@opt/tensor';
import { reluMask, softmax } from './ops/index.js';

/** Keras's activation names (camelCase); `linear` is the identity. */
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

/** Every activation name a layer's `activation` option accepts. */
export const ACTIVATION_NAMES: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

export function checkActivation(name: unknown, where: string): ActivationName {
  if (name === undefined || name === null) return 'linear';
  if (typeof name !== 'string' || !ACTIVATION_NAMES.includes(name as ActivationName)) {
    throw new RangeError(
      `${where}: unknown activation ${JSON.stringify(name)}. Choose one of: ${ACTIVATION_NAMES.join(', ')}.`,
    );
  }
  return name as ActivationName;
}

/** y = f(z). */
export function activate(name: ActivationName, z: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'linear':
      return z;
    case 'relu':
      return tf.relu(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'tanh':
      return tf.tanh(z);
    case 'softmax':
      return softmax(z);
  }
}

/**
 * dL/dz from dL/dy and y = f(z):
 * relu `dy * [y > 0]`, sigmoid `dy * y * (1 - y)`, tanh `dy * (1 - y^2)`,
 * softmax `y * (dy - sum(dy * y, -1))`.
 */
export function activationGrad(name: ActivationName, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, reluMask(y));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'softmax':
      return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)));
  }
}

/** Activations tfjs's fused matMul can apply in the same kernel. */
export function fusable(name: ActivationName): 'linear' | 'relu' | 'sigmoid' | null {
  return name === 'linear' || name === 'relu' || name === 'sigmoid' ? name : null;
}
