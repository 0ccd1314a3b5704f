import { SpecError } from '../core/spec';
import { predictFiles } from './inference/predict';
import { tagText } from './tasks/tagText';
import {
  checkEngineRequest,
  type EngineErrorCode,
  type EngineEvent,
  type EngineMethod,
  type EngineMethods,
  type EngineRequest,
  type EngineResponse,
  type GenerateParams,
  type GenerateResult,
} from '../protocol/engine';
import { NeuronRequests } from './activations/neuronRequests';
import { OpenDocuments } from './activations/openDocuments';
import { generate } from './inference/generate';
import { OnnxModelError } from './onnx/onnxModelError';
import { exportRunToOnnx } from './onnx/onnxExport';
import { RequestError } from './requestError';
import { SampleError } from './sampler';
import { CorpusChangedError, resumeTraining, startTraining, type StartedTraining } from './training/trainingRun';
import { RunLockedError } from '../core/runLock';
import { resumeExperiment, startExperiment, type ExperimentEvents, type StartedExperiment } from './experiments/experimentRunner';
import type { TrainerEvents } from './training/trainingLoop';
import { modelSourcePath } from '../protocol/modelSource';

type Send = (message: EngineResponse | EngineEvent) => void;

/** Who holds a run's lock while the engine trains it, as a second writer (`rnn-lab train --resume`) is told. */
const ENGINE_LOCK_PURPOSE = 'the RNN Lab engine of VS Code';

function errorCode(err: unknown): EngineErrorCode {
  if (err instanceof RequestError) return err.code;
  if (err instanceof CorpusChangedError) return 'corpusChanged';
  if (err instanceof RunLockedError) return 'busy';
  return err instanceof SpecError || err instanceof SampleError ? 'invalid' : 'failed';
}

type EngineHandlers = {
  [M in EngineMethod]: (params: EngineMethods[M]['params']) => Promise<EngineMethods[M]['result']> | EngineMethods[M]['result'];
};

/**
 * The engine's request handler, independent of the transport (an IPC channel
 * in the engine process, a direct call in tests). One training runs at a time:
 * tfjs computes on this one thread.
 */
export class EngineServer {
  private current: { runDir: string; controller: AbortController } | undefined;
  /** Generations in progress, by request id (several may run; onnxruntime computes off the main thread). */
  private readonly generations = new Map<string, AbortController>();
  /** Texts open for activations (the editor overlay), by the host's document id. */
  readonly documents = new OpenDocuments();
  /** Ranking, select-and-match and traces for the Neurons view (one model and one text at a time). */
  readonly neurons = new NeuronRequests();

  constructor(private readonly send: Send) {}

  async handle(message: unknown): Promise<void> {
    const problem = checkEngineRequest(message);
    const id = (message as { id?: unknown })?.id;
    if (problem) {
      if (Number.isSafeInteger(id)) this.reply({ kind: 'response', id: id as number, ok: false, error: { code: 'invalid', message: problem } });
      else this.send({ kind: 'event', event: 'log', level: 'error', message: `ignored a malformed message: ${problem}` });
      return;
    }
    const request = message as EngineRequest; // checked just above
    try {
      const result = await this.dispatch(request);
      this.reply({ kind: 'response', id: request.id, ok: true, result });
    } catch (err) {
      const code = errorCode(err);
      this.reply({ kind: 'response', id: request.id, ok: false, error: { code, message: (err as Error).message ?? String(err) } });
    }
  }

  /** Stops a running training (e.g. before the process exits). */
  stopAll(): void {
    this.current?.controller.abort();
    for (const g of this.generations.values()) g.abort();
    void this.documents.closeAll();
    void this.neurons.close();
  }

  /** One handler per method: the compiler checks that none is missing and that each returns its method's result. */
  private readonly handlers: EngineHandlers = {
    ping: () => ({ time: Date.now(), pid: process.pid }),
    train: (params) => this.train((events, signal) => startTraining({ ...params, lockPurpose: ENGINE_LOCK_PURPOSE }, events, signal)),
    resume: (params) => this.train((events, signal) => resumeTraining({ ...params, lockPurpose: ENGINE_LOCK_PURPOSE }, events, signal)),
    experiment: (params) => this.experiment((events, signal) => startExperiment(params, events, signal)),
    resumeExperiment: (params) => this.experiment((events, signal) => resumeExperiment(params, events, signal)),
    stop: ({ runDir }) => {
      if (!this.current || (runDir !== undefined && runDir !== this.current.runDir)) return { stopped: false };
      this.current.controller.abort();
      return { stopped: true };
    },
    generate: (params) => this.generate(params),
    stopGeneration: ({ requestId }) => {
      const controller = this.generations.get(requestId);
      controller?.abort();
      return { stopped: controller !== undefined };
    },
    export: ({ runDir, out }) => ({ file: exportRunToOnnx(runDir, out, 'float32', ENGINE_LOCK_PURPOSE).file }),
    openDocument: (params) => this.documents.open(params),
    updateDocument: (params) => this.documents.update(params),
    closeDocument: async ({ documentId }) => ({ closed: await this.documents.close(documentId) }),
    activationRange: (params) => this.documents.range(params),
    hoverInfo: (params) => this.documents.hover(params),
    rankNeurons: (params) => this.neurons.rank(params),
    matchSelection: (params) => this.neurons.match(params),
    neuronTrace: (params) => this.neurons.trace(params),
    predict: ({ model, inputs }) => predictFiles(modelSourcePath(model), inputs),
    tagText: (params) => tagText(params),
  };

  private dispatch<M extends EngineMethod>(request: EngineRequest<M>): Promise<EngineMethods[M]['result']> | EngineMethods[M]['result'] {
    const handler: EngineHandlers[M] = this.handlers[request.method];
    return handler(request.params);
  }

  private async train(start: (events: TrainerEvents, signal: AbortSignal) => Promise<StartedTraining>): Promise<EngineMethods['train']['result']> {
    if (this.current) throw new RequestError('busy', `a training is already running (${this.current.runDir}); stop it first`);
    const controller = new AbortController();
    let runDir = '';
    const events = this.trainerEvents(() => runDir);
    // Reserve the slot before the first await so a second request is refused.
    this.current = { runDir: '(starting)', controller };
    let started: StartedTraining;
    try {
      started = await start(events, controller.signal);
    } catch (err) {
      this.current = undefined;
      throw err;
    }
    runDir = started.run.dir;
    this.current = { runDir, controller };
    void started.outcome.then(
      (outcome) => {
        this.current = undefined;
        this.send({ kind: 'event', event: 'finished', runDir, status: outcome.status, message: outcome.message, info: outcome.info });
      },
      (err: unknown) => {
        this.current = undefined;
        this.send({ kind: 'event', event: 'log', level: 'error', message: `training ${runDir} crashed: ${(err as Error).message}` });
      },
    );
    return { runDir, info: started.info, skipped: started.skippedSummary };
  }

  /** A training's events, sent under the run folder `runDir()` names when they happen. */
  private trainerEvents(runDir: () => string): TrainerEvents {
    return {
      onStep: (record, info) => this.send({ kind: 'event', event: 'step', runDir: runDir(), record, progress: info.progress }),
      onEval: (record) => this.send({ kind: 'event', event: 'eval', runDir: runDir(), record }),
      onTaskEval: (record) => this.send({ kind: 'event', event: 'taskEval', runDir: runDir(), record }),
      onSample: (record) => this.send({ kind: 'event', event: 'sample', runDir: runDir(), record }),
      onCheckpoint: (path, step) => this.send({ kind: 'event', event: 'checkpoint', runDir: runDir(), path, step }),
      onGradFlow: (records) => this.send({ kind: 'event', event: 'gradFlow', runDir: runDir(), records }),
    };
  }

  /**
   * An experiment holds the training slot from its first member to its last;
   * `stop` stops the member in training and with it the experiment. Each member
   * is announced (`experimentMember`) and finishes (`finished`) like a run.
   */
  private async experiment(
    start: (events: ExperimentEvents, signal: AbortSignal) => Promise<StartedExperiment>,
  ): Promise<EngineMethods['experiment']['result']> {
    if (this.current) throw new RequestError('busy', `a training is already running (${this.current.runDir}); stop it first`);
    const controller = new AbortController();
    this.current = { runDir: '(starting)', controller };
    let runDir = '';
    const events: ExperimentEvents = {
      training: this.trainerEvents(() => runDir),
      onMember: (m) => {
        runDir = m.runDir;
        this.current = { runDir, controller };
        const { dir, index, total, info, resumed } = m;
        this.send({ kind: 'event', event: 'experimentMember', dir, runDir, index, total, label: m.variant.label, info, resumed });
      },
      onMemberFinished: (m, outcome) =>
        this.send({ kind: 'event', event: 'finished', runDir: m.runDir, status: outcome.status, message: outcome.message, info: outcome.info }),
    };
    let started: StartedExperiment;
    try {
      started = await start(events, controller.signal);
    } catch (err) {
      this.current = undefined;
      throw err;
    }
    const dir = started.dir;
    void started.outcome.then((outcome) => {
      this.current = undefined;
      this.send({ kind: 'event', event: 'experimentFinished', dir, status: outcome.status, message: outcome.message, info: outcome.info });
    });
    return { dir, info: started.info };
  }

  private async generate(params: GenerateParams): Promise<GenerateResult> {
    const { requestId, source, ...options } = params;
    if (this.generations.has(requestId)) throw new RequestError('busy', `generation ${requestId} is already running`);
    const controller = new AbortController();
    this.generations.set(requestId, controller);
    // Thousands of tokens a second: send the text in pieces every few tens of milliseconds, not one message per token.
    let buffered: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (buffered.some((t) => t.length > 0)) this.send({ kind: 'event', event: 'generated', requestId, texts: buffered });
      buffered = [];
    };
    try {
      return await generate(
        modelSourcePath(source),
        options,
        (pieces) => {
          if (buffered.length === 0) buffered = pieces.map(() => '');
          for (let i = 0; i < pieces.length; i++) buffered[i] += pieces[i];
          timer ??= setTimeout(flush, 30);
        },
        controller.signal,
      );
    } catch (err) {
      if (err instanceof OnnxModelError) throw new RequestError('failed', err.message);
      throw err;
    } finally {
      flush(); // every piece arrives before the response
      this.generations.delete(requestId);
    }
  }

  private reply(response: EngineResponse): void {
    this.send(response);
  }
}
