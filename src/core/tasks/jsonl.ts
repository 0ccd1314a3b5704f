import { TaskDataError, type ClassifyExample } from './taskData';

/** JSON Lines: one `{"text": "…", "label": "…"}` object per line (a number or boolean label is taken as text). Blank lines are skipped. */
export function parseJsonl(text: string, file: string): ClassifyExample[] {
  const examples: ClassifyExample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message);
      throw new TaskDataError(file, line, at ? Number(at[1]) + 1 : 1, 'a JSON object such as {"text": "…", "label": "…"}');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TaskDataError(file, line, 1, 'a JSON object with "text" and "label"');
    const record = value as Record<string, unknown>;
    if (typeof record.text !== 'string') throw new TaskDataError(file, line, 1, '"text" as a string');
    const label = record.label;
    if (!(typeof label === 'string' || typeof label === 'number' || typeof label === 'boolean') || String(label).trim() === '')
      throw new TaskDataError(file, line, 1, '"label" as a non-empty string (or number)');
    examples.push({ text: record.text, label: String(label).trim(), source: `${file}:${line}`, group: file });
  });
  return examples;
}
