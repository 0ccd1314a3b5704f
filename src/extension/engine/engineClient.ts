import { fork, type ChildProcess } from 'child_process';
import { isEngineMessage, type EngineEvent, type EngineMethod, type EngineMethods, type EngineRequest } from '../../protocol/engine';

export class EngineRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The engine process went away while a request was pending. */
export class EngineExitedError extends Error {}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** In words, for the user. */
  reason: string;
  /** True when we asked it to stop (dispose), false when it died. */
  expected: boolean;
}

export interface EngineClientOptions {
  /** Extra environment for the engine (e.g. thread settings). */
  env?: NodeJS.ProcessEnv;
  /** Where the engine's stderr goes (a log channel). */
  onStderr?: (text: string) => void;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

type Listener<T> = (value: T) => void;

/**
 * The host's handle on the engine process. The process starts on the first
 * request; if it dies, pending requests fail with the reason, exit listeners
 * hear about it, and the next request starts a fresh engine. No VS Code API
 * here, so it is tested in plain Node.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<Listener<EngineEvent>>();
  private readonly exitListeners = new Set<Listener<EngineExit>>();
  private stopping = false;
  private disposed = false;

  constructor(
    private readonly enginePath: string,
    private readonly options: EngineClientOptions = {},
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  onEvent(listener: Listener<EngineEvent>): { dispose(): void } {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onExit(listener: Listener<EngineExit>): { dispose(): void } {
    this.exitListeners.add(listener);
    return { dispose: () => this.exitListeners.delete(listener) };
  }

  request<M extends EngineMethod>(method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
    if (this.disposed) return Promise.reject(new EngineExitedError('the engine was shut down'));
    const child = this.ensureStarted();
    const id = this.nextId++;
    const message: EngineRequest<M> = { kind: 'request', id, method, params };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      child.send(message, (err) => {
        if (err && this.pending.delete(id)) reject(new EngineExitedError(`could not reach the engine: ${err.message}`));
      });
    });
  }

  /** Ends the engine process (it checkpoints a running training on disconnect). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stop();
    this.eventListeners.clear();
  }

  /** Stops the current engine process; a later request starts a new one. */
  stop(): void {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    if (child.connected) child.disconnect();
    // The engine checkpoints and exits on disconnect; make sure it does.
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 10_000).unref();
  }

  private ensureStarted(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.enginePath, [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...this.options.env },
      // The extension host may run with inspector flags; the engine must not inherit them.
      execArgv: [],
    });
    this.child = child;
    this.stopping = false;
    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-2000);
      this.options.onStderr?.(text);
    });
    child.on('message', (message: unknown) => this.receive(message));
    child.on('error', (err) => this.options.onStderr?.(`engine process error: ${err.message}\n`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const expected = this.stopping || this.disposed;
      const lastLine = stderrTail.trim().split('\n').pop();
      const reason = signal
        ? `the engine process was killed (${signal})`
        : `the engine process exited with code ${code}${code !== 0 && lastLine ? `: ${lastLine}` : ''}`;
      for (const [, p] of this.pending) p.reject(new EngineExitedError(reason));
      this.pending.clear();
      for (const l of [...this.exitListeners]) l({ code, signal, reason, expected });
    });
    return child;
  }

  private receive(message: unknown): void {
    if (!isEngineMessage(message)) return;
    if (message.kind === 'response') {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.ok) p.resolve(message.result);
      else p.reject(new EngineRequestError(message.error.code, message.error.message));
      return;
    }
    for (const l of [...this.eventListeners]) l(message);
  }
}
