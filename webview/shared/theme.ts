/**
 * Colours for canvas drawing. A canvas cannot use CSS variables, so the
 * current values of VS Code's `--vscode-*` theme variables are read at run
 * time, and read again when the theme changes.
 */

/** One colour per run, in this order. */
export const RUN_COLOUR_VARIABLES = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
] as const;

export interface ThemeColours {
  foreground: string;
  /** Axis grid and ticks. */
  grid: string;
  /** Reference lines such as the clipping threshold. */
  reference: string;
  runs: string[];
  /** Font family and size (CSS pixels) for text drawn on canvases. */
  fontFamily: string;
  fontSize: number;
}

export function cssVariable(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The CSS colour of the run at `index` (for DOM elements, which follow theme changes by themselves). */
export function runColourVariable(index: number): string {
  return `var(${RUN_COLOUR_VARIABLES[index % RUN_COLOUR_VARIABLES.length]})`;
}

export function readThemeColours(): ThemeColours {
  const foreground = cssVariable('--vscode-foreground', '#cccccc');
  return {
    foreground,
    grid: cssVariable('--vscode-panel-border', foreground),
    reference: cssVariable('--vscode-charts-lines', foreground),
    runs: RUN_COLOUR_VARIABLES.map((name) => cssVariable(name, foreground)),
    fontFamily: cssVariable('--vscode-font-family', 'sans-serif'),
    fontSize: 11,
  };
}

/**
 * Calls `onChange` (once per frame at most) when VS Code switches the colour
 * theme: it changes the body's class (vscode-light / vscode-dark /
 * vscode-high-contrast) and rewrites the variables in the root element's style.
 */
export function onThemeChange(onChange: () => void): () => void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
