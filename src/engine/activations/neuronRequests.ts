import { resolutionOf } from '../../core/vocabulary';
import * as fs from 'fs';
import { neuronLabel } from '../../core/neurons/neuronColumns';
import { valueScale } from '../../core/neurons/valueScale';
import { CodePointOffsets } from '../../core/features';
import { windowAround, windowFrom, type TextWindow } from '../../core/textWindow';
import type { NeuronId, NeuronKind } from '../../protocol/activations';
import { modelSourcePath, type ModelSource } from '../../protocol/modelSource';
import {
  MAX_RANK_CHARACTERS,
  MAX_TRACE_CHARACTERS,
  type MatchSelectionParams,
  type MatchSelectionResult,
  type NeuronModelInfo,
  type NeuronTraceParams,
  type NeuronTraceResult,
  type RankNeuronsParams,
  type RankNeuronsResult,
} from '../../protocol/neurons';
import { resolveModelFile } from '../inference/modelSource';
import { OnnxModelError } from '../onnx/onnxModelError';
import { RequestError } from '../requestError';
import { ActivationDocument } from './activationDocument';
import { ActivationModel, type ActivationKind } from './activationModel';
import { characterTrace, matchSelection } from './neuronAnalysis';
import { NeuronRankingBuilder } from './neuronRanking';

/** Default neurons per feature. */
const DEFAULT_TOP = 5;
/** Neurons taken as the selection's pattern (LSTMVis shows a handful). */
const SELECTION_NEURONS = 5;

/**
 * The Neurons view's requests: ranking, select-and-match and the character
 * trace. They run one at a time on one open model and one document whose
 * text is replaced request by request: ActivationDocument keeps the states
 * before the first change, so a trace of the text just ranked or matched
 * reuses its computation instead of starting over. The model is opened again
 * when its file changes (a run re-exported at a checkpoint).
 */
export class NeuronRequests {
  private open: { file: string; stamp: string; model: ActivationModel; document: ActivationDocument } | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  rank(params: RankNeuronsParams): Promise<RankNeuronsResult> {
    return this.exclusive(async () => {
      const window = windowFrom(params.text, 0, MAX_RANK_CHARACTERS);
      if (window.characters === 0) throw new RequestError('invalid', 'the text is empty: there is nothing to rank neurons on');
      const document = await this.document(params.source, params.text.slice(0, window.end));
      const builder = new NeuronRankingBuilder();
      await builder.add(document, params.language, params.language);
      const { ranking, gates, texts } = builder.result(params.top ?? DEFAULT_TOP);
      return {
        model: modelInfo(document.model),
        window: analysed(window),
        parser: texts[0].parser,
        features: ranking.map((r) => ({
          feature: r.feature,
          kind: r.kind,
          ...(r.positives !== undefined ? { positives: r.positives } : {}),
          top: r.top.map((n) => ({
            ...neuronId(n.neuron),
            label: neuronLabel(n.neuron),
            score: round(n.score),
            sign: n.sign,
            r: round(n.r),
            ...(n.auc !== undefined ? { auc: round(n.auc) } : {}),
          })),
          ...(r.note ? { note: r.note } : {}),
        })),
        gates: gates.map(({ layer, gate, direction, saturation: s }) => ({
          layer,
          gate: gate,
          ...(direction ? { direction } : {}),
          steps: s.steps,
          units: s.units,
          left: Array.from(s.left, round),
          right: Array.from(s.right, round),
          meanLeft: round(s.meanLeft),
          meanRight: round(s.meanRight),
          mostlyLeft: s.mostlyLeft,
          mostlyRight: s.mostlyRight,
        })),
      };
    });
  }

  match(params: MatchSelectionParams): Promise<MatchSelectionResult> {
    return this.exclusive(async () => {
      const window = windowAround(params.text, params.start, params.end, MAX_TRACE_CHARACTERS);
      const text = params.text.slice(window.start, window.end);
      const document = await this.document(params.source, text);
      // Code points of the selection within the window (clipped to it when it is longer).
      const offsets = new CodePointOffsets(text);
      const clip = (at: number) => offsets.toCodePoint(Math.max(0, Math.min(at - window.start, text.length)));
      const from = clip(params.start);
      const to = clip(params.end);
      if (to <= from) throw new RequestError('invalid', 'the selection is empty');
      if (from === 0 && to === document.length)
        throw new RequestError('invalid', 'the selection is the whole text: select a part of it, so there is an outside to compare with');
      const result = await matchSelection(document, from, to, { neurons: SELECTION_NEURONS });
      const at = (utf16: number) => window.start + utf16;
      return {
        model: modelInfo(document.model),
        window: analysed(window),
        selection: { start: at(result.selection.utf16Start), end: at(result.selection.utf16End) },
        neurons: result.neurons.map((n) => ({
          ...neuronId(n.neuron),
          label: neuronLabel(n.neuron),
          inside: round(n.inside),
          outside: round(n.outside),
          effect: round(n.effect),
        })),
        matches: result.matches.map((m) => ({ start: at(m.utf16Start), end: at(m.utf16End), score: round(m.score), firing: round(m.firing) })),
      };
    });
  }

  trace(params: NeuronTraceParams): Promise<NeuronTraceResult> {
    return this.exclusive(async () => {
      const window = windowFrom(params.text, params.start ?? 0, MAX_TRACE_CHARACTERS);
      const document = await this.document(params.source, params.text.slice(window.start, window.end));
      const kind = checkNeuron(document, params);
      const range = await document.range(0, document.length);
      const values = characterTrace(range, params.layer, kind, params.unit, params.direction);
      const { centre, half } = valueScale(kind, values);
      return {
        model: modelInfo(document.model),
        neuron: { ...neuronId(params), label: neuronLabel(params) },
        window: analysed(window),
        values: Array.from(values, round),
        centre,
        half,
      };
    });
  }

  /** Releases the model (the engine is stopping). */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      const open = this.open;
      this.open = undefined;
      if (open) {
        await open.document.close();
        await open.model.close();
      }
    });
  }

  /** The one document, on the source's model, holding `text`. */
  private async document(source: ModelSource, text: string): Promise<ActivationDocument> {
    let file: string;
    let stamp: string;
    try {
      file = resolveModelFile(modelSourcePath(source));
      const stat = fs.statSync(file);
      stamp = `${stat.size}:${stat.mtimeMs}`;
    } catch (err) {
      if (err instanceof OnnxModelError) throw new RequestError('failed', err.message);
      throw new RequestError('failed', `cannot read the model: ${(err as Error).message}`);
    }
    if (this.open && (this.open.file !== file || this.open.stamp !== stamp)) {
      const old = this.open;
      this.open = undefined;
      await old.document.close();
      await old.model.close();
    }
    if (!this.open) {
      let model: ActivationModel;
      try {
        model = await ActivationModel.open(file);
      } catch (err) {
        if (err instanceof OnnxModelError) throw new RequestError('failed', err.message);
        throw err;
      }
      this.open = { file, stamp, model, document: new ActivationDocument(model, text) };
    } else {
      this.open.document.update(text);
    }
    return this.open.document;
  }

  /** One request at a time: they share the model and the document. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** The neuron's kind, or an 'invalid' error naming what the model has. */
function checkNeuron(document: ActivationDocument, { layer, kind, unit, direction }: NeuronId): ActivationKind {
  const { layers, hidden, cell, bidirectional } = document.model.spec;
  if (direction === 'backward' && !bidirectional) throw new RequestError('invalid', 'the model is not bidirectional: it has no backward direction');
  if (layer >= layers) throw new RequestError('invalid', `layer ${layer}: the model has ${layers} layer${layers === 1 ? '' : 's'} (0 to ${layers - 1})`);
  if (!document.kinds.includes(kind))
    throw new RequestError('invalid', `kind ${kind}: a${cell === 'lstm' ? 'n' : ''} ${cell.toUpperCase()} has ${document.kinds.join(', ')}`);
  if (unit >= hidden) throw new RequestError('invalid', `unit ${unit}: layers have ${hidden} units (0 to ${hidden - 1})`);
  return kind;
}

function modelInfo(model: ActivationModel): NeuronModelInfo {
  const { spec, vocab, file } = model;
  return {
    file,
    cell: spec.cell,
    layers: spec.layers,
    hidden: spec.hidden,
    resolution: resolutionOf(vocab),
    ...(spec.bidirectional ? { directions: 2 as const } : {}),
    ...(model.task !== 'lm' ? { task: model.task } : {}),
  };
}

function analysed({ start, end, characters, totalCharacters }: TextWindow): RankNeuronsResult['window'] {
  return { start, end, characters, totalCharacters };
}

function neuronId(n: { layer: number; kind: string; unit: number; direction?: string }): NeuronId {
  return { layer: n.layer, kind: n.kind as NeuronKind, unit: n.unit, ...(n.direction === 'backward' ? { direction: 'backward' as const } : {}) };
}

/** Four decimals: enough for a colour or a score, and a quarter of the JSON. */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
