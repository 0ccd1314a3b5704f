import { TaskDataError, type ClassifyExample } from './taskData';

export interface CsvColumns {
  /** Header names of the text and label columns (case-insensitive; default "text" and "label"). */
  text?: string;
  label?: string;
}

/**
 * CSV with a header row (RFC 4180: commas, double quotes around fields that
 * hold commas, quotes or line breaks, "" for a quote inside). The columns
 * named `text` and `label` give each example.
 */
export function parseCsv(text: string, file: string, columns: CsvColumns = {}): ClassifyExample[] {
  const rows = csvRows(text, file);
  if (rows.length === 0) throw new TaskDataError(file, 1, 1, 'a header row naming a text and a label column');
  const header = rows[0].fields.map((f) => f.trim().toLowerCase());
  const find = (name: string) => {
    const at = header.indexOf(name.toLowerCase());
    if (at < 0) throw new TaskDataError(file, 1, 1, `a column named "${name}" in the header (found: ${rows[0].fields.join(', ')})`);
    return at;
  };
  const textAt = find(columns.text ?? 'text');
  const labelAt = find(columns.label ?? 'label');
  return rows.slice(1).map(({ fields, line }) => {
    if (fields.length !== header.length) throw new TaskDataError(file, line, 1, `${header.length} fields as in the header, found ${fields.length}`);
    const label = fields[labelAt].trim();
    if (label === '') throw new TaskDataError(file, line, 1, `a label in column "${rows[0].fields[labelAt]}"`);
    return { text: fields[textAt], label, source: `${file}:${line}`, group: file };
  });
}

interface CsvRow {
  fields: string[];
  /** 1-based line where the row starts. */
  line: number;
}

/** The records of a CSV text; a final empty line is not a record. */
export function csvRows(text: string, file: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ fields, line: rowLine });
    fields = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === '') {
      const closed = readQuoted(text, i + 1, file, line);
      field = closed.value;
      line += closed.newlines;
      i = closed.next;
      if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
        throw new TaskDataError(file, line, columnAt(text, i), 'a comma or the end of the line after a closing quote');
      continue;
    }
    if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
    i++;
  }
  if (field !== '' || fields.length) endRow();
  return rows;
}

/** A quoted field from just after its opening quote: its value, where reading goes on, and the line breaks it held. */
function readQuoted(text: string, from: number, file: string, line: number): { value: string; next: number; newlines: number } {
  let value = '';
  let newlines = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      if (text[i + 1] === '"') {
        value += '"';
        i++;
        continue;
      }
      return { value, next: i + 1, newlines };
    }
    if (c === '\n') newlines++;
    value += c;
  }
  throw new TaskDataError(file, line, columnAt(text, from - 1), 'a closing double quote for the field that starts here');
}

function columnAt(text: string, index: number): number {
  return index - (text.lastIndexOf('\n', index - 1) + 1) + 1;
}
