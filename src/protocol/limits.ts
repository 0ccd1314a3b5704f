/** Bounds shared by every side, so the UI, the host and the engine refuse the same things. */

/** Longest generation in tokens. */
export const MAX_GENERATE_LENGTH = 1_000_000;

/** Longest text shown with neuron activations, in UTF-16 code units (the whole text crosses the process boundary on every edit). */
export const MAX_DOCUMENT_LENGTH = 5_000_000;

/** Most continuations generated together from one prime (one batch through the model). */
export const MAX_GENERATE_COUNT = 32;
