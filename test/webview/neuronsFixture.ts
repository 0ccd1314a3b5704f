/**
 * Neurons view data recorded from a real run through the engine process
 * (test/fixtures/neurons: a 1×LSTM-64 trained 300 steps on src/, see
 * scripts/record-neurons-fixture.mjs), turned into the messages the host sends.
 */
import * as fs from 'fs';
import * as path from 'path';
import { rankingContent, selectionContent, traceContent } from '../../src/extension/neurons/neuronsContent';
import type { MatchSelectionResult, NeuronTraceResult, RankNeuronsResult } from '../../src/protocol/neurons';
import type { NeuronsRanking, NeuronsSelection, NeuronsTrace } from '../../src/protocol/neuronsView';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/neurons/lstm-1x64.json');

export interface RecordedNeurons {
  run: { id: string; model: { cell: string; layers: number; hidden: number }; steps: number };
  file: string;
  text: string;
  rank: RankNeuronsResult;
  trace: NeuronTraceResult;
  match: MatchSelectionResult;
  matchTrace: NeuronTraceResult;
}

export function recordedNeurons(): RecordedNeurons {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as RecordedNeurons;
}

export function recordedMessages(recorded = recordedNeurons()): {
  ranking: NeuronsRanking;
  trace: NeuronsTrace;
  selection: NeuronsSelection;
  selectionTrace: NeuronsTrace;
} {
  const model = `1×LSTM-64 · ${recorded.run.id}`;
  return {
    ranking: rankingContent(recorded.rank, recorded.file, model),
    trace: traceContent(recorded.trace, recorded.text),
    selection: selectionContent(recorded.match, recorded.text, recorded.file, model),
    selectionTrace: traceContent(recorded.matchTrace, recorded.text, recorded.match),
  };
}
