/** Bounds shared by every side, so the UI, the host and the engine refuse the same things. */

/** Longest generation in tokens. */
export const MAX_GENERATE_LENGTH = 1_000_000;
