/**
 * A light selection of the `--vscode-*` variables VS Code puts on a webview's
 * root element, with the values of the default Dark+ and Light+ themes, and
 * the body class VS Code sets for each kind of theme.
 */
export interface WebviewTheme {
  bodyClass: 'vscode-dark' | 'vscode-light' | 'vscode-high-contrast';
  variables: Record<string, string>;
}

const common = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  '--vscode-editor-font-size': '13px',
};

export const DARK: WebviewTheme = {
  bodyClass: 'vscode-dark',
  variables: {
    ...common,
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-errorForeground': '#f48771',
    '--vscode-editor-background': '#1e1e1e',
    '--vscode-panel-border': 'rgba(128, 128, 128, 0.35)',
    '--vscode-charts-foreground': '#cccccc',
    '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-button-background': '#0e639c',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-hoverBackground': '#1177bb',
    '--vscode-button-secondaryBackground': '#3a3d41',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-button-secondaryHoverBackground': '#45494e',
    '--vscode-badge-background': '#4d4d4d',
    '--vscode-badge-foreground': '#ffffff',
    '--vscode-settings-checkboxBackground': '#3c3c3c',
    '--vscode-settings-checkboxBorder': '#6b6b6b',
    '--vscode-settings-checkboxForeground': '#f0f0f0',
    '--vscode-focusBorder': '#007fd4',
    '--vscode-textCodeBlock-background': 'rgba(10, 10, 10, 0.4)',
    '--vscode-sideBar-background': '#252526',
    '--vscode-sideBarSectionHeader-background': 'rgba(0, 0, 0, 0)',
    '--vscode-sideBarTitle-foreground': '#bbbbbb',
    '--vscode-icon-foreground': '#c5c5c5',
    '--vscode-editor-selectionBackground': '#264f78',
    '--vscode-inputValidation-errorBackground': '#5a1d1d',
  },
};

export const LIGHT: WebviewTheme = {
  bodyClass: 'vscode-light',
  variables: {
    ...common,
    '--vscode-foreground': '#616161',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-errorForeground': '#a1260d',
    '--vscode-editor-background': '#ffffff',
    '--vscode-panel-border': 'rgba(128, 128, 128, 0.35)',
    '--vscode-charts-foreground': '#616161',
    '--vscode-charts-lines': 'rgba(97, 97, 97, 0.5)',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-purple': '#652d90',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-button-background': '#007acc',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-hoverBackground': '#0062a3',
    '--vscode-button-secondaryBackground': '#5f6a79',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-button-secondaryHoverBackground': '#4c5561',
    '--vscode-badge-background': '#c4c4c4',
    '--vscode-badge-foreground': '#333333',
    '--vscode-settings-checkboxBackground': '#ffffff',
    '--vscode-settings-checkboxBorder': '#919191',
    '--vscode-settings-checkboxForeground': '#616161',
    '--vscode-focusBorder': '#0090f1',
    '--vscode-textCodeBlock-background': 'rgba(220, 220, 220, 0.4)',
    '--vscode-sideBar-background': '#f3f3f3',
    '--vscode-sideBarSectionHeader-background': 'rgba(0, 0, 0, 0)',
    '--vscode-sideBarTitle-foreground': '#6f6f6f',
    '--vscode-icon-foreground': '#424242',
    '--vscode-editor-selectionBackground': '#add6ff',
    '--vscode-inputValidation-errorBackground': '#f2dede',
  },
};
