/**
 * A model file that cannot be used: missing, truncated or corrupted, made by
 * another tool (no RNN Lab metadata), or not fit for the request (e.g. a
 * bidirectional model asked to generate). The message says which and what to do.
 */
export class OnnxModelError extends Error {}
