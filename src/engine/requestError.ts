import type { EngineErrorCode } from '../protocol/engine';

/** A request the engine refuses or cannot answer, with the code the host acts on. */
export class RequestError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}
