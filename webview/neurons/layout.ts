/** The Neurons view's page: a status line, then its sections, built once. */

export interface NeuronsLayout {
  subject: HTMLElement;
  status: HTMLElement;
  empty: HTMLElement;
  selection: HTMLElement;
  features: HTMLElement;
  trace: HTMLElement;
  gates: HTMLElement;
}

export function buildLayout(root: HTMLElement): NeuronsLayout {
  const main = root.appendChild(document.createElement('main'));
  main.className = 'neurons';

  const header = main.appendChild(document.createElement('header'));
  header.className = 'toolbar';
  const title = header.appendChild(document.createElement('h1'));
  title.textContent = 'Neurons';
  const subject = header.appendChild(document.createElement('p'));
  subject.className = 'subject';

  const status = main.appendChild(document.createElement('p'));
  status.className = 'status';
  status.setAttribute('role', 'status');
  status.hidden = true;

  const empty = main.appendChild(document.createElement('p'));
  empty.className = 'empty-note';
  empty.textContent =
    'Open a source file and run “RNN Lab: Show Neurons” to rank the neurons of a model against features of the code, ' +
    'or select some text and run “RNN Lab: Find Neurons for Selection”.';

  const columns = main.appendChild(document.createElement('div'));
  columns.className = 'columns';
  const left = columns.appendChild(document.createElement('div'));
  left.className = 'column-main';
  const right = columns.appendChild(document.createElement('div'));
  right.className = 'column-trace';

  const section = (parent: HTMLElement, name: string, heading: string): HTMLElement => {
    const element = parent.appendChild(document.createElement('section'));
    element.className = `section ${name}`;
    element.hidden = true;
    const h2 = element.appendChild(document.createElement('h2'));
    h2.textContent = heading;
    const body = element.appendChild(document.createElement('div'));
    body.className = 'section-body';
    return body;
  };
  return {
    subject,
    status,
    empty,
    selection: section(left, 'selection-section', 'Selection'),
    features: section(left, 'features-section', 'Features and the neurons that track them'),
    gates: section(left, 'gates-section', 'Gate saturation'),
    trace: section(right, 'trace-section', 'Text coloured by a neuron'),
  };
}

/** Shows or hides a section by its body. */
export function showSection(body: HTMLElement, shown: boolean): void {
  (body.parentElement as HTMLElement).hidden = !shown;
}
