import * as ort from 'onnxruntime-node';

/**
 * Every onnxruntime session of the engine is created here, so that
 * onnxruntime's telemetry is off before its environment starts (with the
 * first session). onnxruntime-node 1.30 on Linux starts a telemetry system
 * that reads /proc/self/cmdline and then recurses on the main thread as deep
 * as the command line is long: one over about 24 kB (`rnn-lab predict` with
 * ~700 file paths) overflowed the native stack, and the process died of
 * SIGSEGV with no message. It also left an empty /tmp/mat-debug-<pid>.log per
 * process. ORT_DISABLE_TELEMETRY is read from the environment when the
 * telemetry would start; RNN Lab sends nothing anywhere, so it is always off.
 */
export function createOnnxSession(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  process.env.ORT_DISABLE_TELEMETRY = '1';
  return ort.InferenceSession.create(model, options);
}
