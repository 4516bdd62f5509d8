// tfjs-core's Node entry registers no gradients; this bundle of its own
// gradient definitions does, in Node and in the browser alike. tfjs-core is
// imported first so that its engine, not the bundle's copy, owns the tensors.
import '#tfjs-core';
import '#tfjs-core-gradients';
