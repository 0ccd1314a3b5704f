// The fused training kernels: compiled by scripts/build.mjs with asc into
// dist/fused.wasm and instantiated on one shared memory by every worker thread
// of src/engine/fused (which owns all buffers; the kernels allocate nothing).
export { packB, packBColumnSums, gemm, gemmPanels, packRows, gemmPacked } from './gemm';
export { applyActivation } from './activations';
export { lstmForward, lstmBackward, rnnForward, rnnBackward, gruForwardGates, gruForwardOutput, gruBackwardCandidate, gruBackwardReset } from './cells';
export { gatherRows, broadcastRows, scatterAddRows, softmaxCrossEntropy, dropoutRows, multiplyRows } from './rows';
export { sumSquares, clampRange, adamUpdate, rmspropUpdate, sgdUpdate } from './optimizers';
export { keepPaddedRows, zeroPaddedRows, meanPool, meanPoolBackward, lastPoolBackward } from './heads';
