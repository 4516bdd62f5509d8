/**
 * Keras's train_step and test_step over a stack of layers, without an autodiff tape: the forward pass keeps
 * each layer's cache, the loss gives dL/dy, and the layers' hand-written backward passes run in reverse,
 * each matrix product a plain one. Everything happens inside one `tf.tidy`; only the batch's mean loss and
 * correct counts survive it.
 */
import type { Optimizer } from '@opt/optimizers';
import { tf } from '@opt/tensor';
import type { BackwardResult, Layer, LayerWeight } from './layers/index.js';
import { correctCount, type Loss, type MetricName } from './losses.js';
import type { BatchResult } from './metric-sums.js';

/** What a step needs of the compiled model. */
export interface StepModel {
  readonly layers: readonly Layer[];
  readonly loss: Loss;
  readonly metrics: readonly MetricName[];
}

/** The layers' outputs in inference mode (moving statistics, no dropout). */
export function forwardInference(layers: readonly Layer[], x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const layer of layers) h = layer.forward(h, false).y;
  return h;
}

/**
 * The fused softmax-crossentropy start, asked for here and nowhere else: when the last layer outputs
 * `softmax(z)` ({@link Layer.outputsSoftmax}) and the loss has a gradient at the logits, the backward pass
 * starts at `dL/dz` (fewer kernels than chaining through the clip and the softmax). Null: start at `dL/dy`.
 */
function softmaxCrossentropyStart(
  last: Layer | undefined,
  loss: Loss,
): NonNullable<Loss['softmaxValueAndLogitGrad']> | null {
  if (last === undefined || !last.outputsSoftmax || loss.softmaxValueAndLogitGrad === undefined) return null;
  return loss.softmaxValueAndLogitGrad.bind(loss);
}

/**
 * Keras's train_step differentiates `optimizer.scale_loss(loss)` (a loss scale; `applyGradients` divides it back
 * out). The scale is linear in the loss, so the backward pass starts at `scale * dL/dy`; no scale: `dL/dy` itself.
 */
function scaledStart(optimizer: Optimizer, grad: tf.Tensor): tf.Tensor {
  if (optimizer.scaleLoss === undefined) return grad;
  const one = tf.scalar(1);
  const scale = optimizer.scaleLoss(one);
  return scale === one ? grad : tf.mul(grad, scale);
}

/**
 * One optimizer step on a batch: forward in training mode, the loss and dL/dy (or dL/dz, the fused start), the
 * backward passes from the last layer down to the first one with trainable weights, then
 * `optimizer.applyGradients` with the pairs in the model's weight order.
 */
export function trainStep(model: StepModel, optimizer: Optimizer, x: tf.Tensor, y: tf.Tensor): BatchResult {
  const { layers, loss, metrics } = model;
  const firstTrainable = layers.findIndex((l) => l.trainableWeights.length > 0);
  const last = layers.length - 1;
  const fused = softmaxCrossentropyStart(layers[last], loss);
  return tf.tidy(() => {
    const caches: unknown[] = [];
    let h = x;
    for (const layer of layers) {
      const r = layer.forward(h, true);
      caches.push(r.cache);
      h = r.y;
    }
    const start = fused === null ? loss.valueAndGrad(y, h) : fused(y, h);
    const { value } = start;
    const grad = scaledStart(optimizer, start.grad);
    const correct = metrics.map((m) => correctCount(m, y, h));
    const pairs: Array<[tf.Tensor, tf.Variable]> = [];
    let dy: tf.Tensor | null = grad;
    for (let i = last; i >= firstTrainable && i >= 0 && dy !== null; i--) {
      const layer = layers[i] as Layer;
      const needDx = i > firstTrainable;
      const r: BackwardResult =
        fused !== null && i === last
          ? layer.backwardFromLogits(dy, caches[i], needDx)
          : layer.backward(dy, caches[i], needDx);
      const trainable = layer.trainableWeights;
      for (let k = trainable.length - 1; k >= 0; k--) {
        pairs.push([r.grads[k] as tf.Tensor, (trainable[k] as LayerWeight).variable]);
      }
      dy = r.dx;
    }
    pairs.reverse();
    optimizer.applyGradients(pairs);
    return { loss: value, correct };
  });
}

/** Keras's test_step: the batch's mean loss and correct counts in inference mode. */
export function testStep(model: StepModel, x: tf.Tensor, y: tf.Tensor): BatchResult {
  return tf.tidy(() => {
    const out = forwardInference(model.layers, x);
    return { loss: model.loss.value(y, out), correct: model.metrics.map((m) => correctCount(m, y, out)) };
  });
}
