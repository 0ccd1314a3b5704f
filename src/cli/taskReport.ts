import type { RunInfo, TaskEvalRecord, TaskSummary } from '../core/runFormat';
import { describeCounts } from '../core/tasks/classBalance';

const SOURCES: Record<TaskSummary['source'], string> = {
  'code-tags': 'source code, a syntax class per character',
  conllu: 'CoNLL-U files, a part-of-speech tag per word',
  conll: 'two-column CoNLL files, a tag per word',
  jsonl: 'JSONL texts',
  csv: 'CSV texts',
  folders: 'a folder per class',
  extension: 'snippets labelled by their language',
};

/** The task's data at the start: labels with their counts, and the imbalance warning. */
export function describeTaskData(info: RunInfo): string {
  const t = info.task!;
  const unit = t.kind === 'tag' ? `${t.level === 'word' ? 'words' : 'characters'}` : 'examples';
  const counts = new Map(Object.entries(t.trainCounts).sort((a, b) => b[1] - a[1]));
  const lines = [
    `task ${t.kind}${info.model.bidirectional ? ' (bidirectional)' : ''}: ${SOURCES[t.source]}; ${t.labels.length} labels; ` +
      `${t.trainExamples} training and ${t.validationExamples} held-out examples`,
    `training ${unit} per label: ${describeCounts(counts)}`,
  ];
  if (t.evaluatedExamples !== undefined) {
    lines.push(`each evaluation reads an even spread of ${t.evaluatedExamples} held-out examples, every class in its share`);
  }
  if (t.evaluatedTokens !== undefined) lines.push(`each evaluation reads an even spread of ${t.evaluatedTokens} held-out ${unit}`);
  if (t.imbalance) lines.push(`warning: ${t.imbalance}`);
  return lines.join('\n');
}

/** One evaluation in a line. */
export function describeTaskEvaluation(r: TaskEvalRecord): string {
  return `evaluation at step ${r.step}: accuracy ${percent(r.accuracy)}, macro-F1 ${r.macroF1.toFixed(3)}, loss ${r.valLoss.toFixed(3)} nats`;
}

/** The final evaluation: accuracy, macro-F1, per-class precision and recall, and the confusion matrix. */
export function describeTaskSummary(task: TaskSummary, r: TaskEvalRecord): string {
  const width = Math.max(5, ...task.labels.map((l) => l.length));
  const cell = (v: number | null) => (v === null ? '—' : percent(v)).padStart(9);
  const rows = r.classes.map((c) => `  ${c.label.padEnd(width)} ${cell(c.precision)} ${cell(c.recall)} ${cell(c.f1)} ${String(c.support).padStart(9)}`);
  const columns = Math.max(6, ...r.confusion.flat().map((n) => String(n).length + 1));
  const header = `  ${'truth \\ predicted'.padEnd(width)} ${task.labels.map((_, j) => String(j).padStart(columns)).join('')}`;
  const matrix = r.confusion.map((row, i) => `  ${`${i} ${task.labels[i]}`.padEnd(width)} ${row.map((n) => String(n).padStart(columns)).join('')}`);
  return [
    `held-out accuracy ${percent(r.accuracy)}, macro-F1 ${r.macroF1.toFixed(3)} (step ${r.step})`,
    `  ${'label'.padEnd(width)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'F1'.padStart(9)} ${'support'.padStart(9)}`,
    ...rows,
    'confusion matrix (rows: truth, columns: predicted):',
    header,
    ...matrix,
  ].join('\n');
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
