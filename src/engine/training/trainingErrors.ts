/** Something the user gave us is wrong (exit 2 territory is decided by the CLI; this is a runtime failure with a clear message). */
export class TrainingSetupError extends Error {}
