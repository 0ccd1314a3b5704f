/**
 * The HTML pages of the webviews. Pure (no `vscode` import) so the CSP and the
 * escaping are unit-tested and the same page is served to headless Chromium in
 * the webview tests.
 */
import { randomBytes } from 'crypto';

export interface WebviewPageOptions {
  /** `webview.cspSource`: the origin the webview's own files are served from. */
  cspSource: string;
  /** Allows exactly the page's own <script> elements (createNonce, new for every page). */
  nonce: string;
  scriptUri: string;
  styleUris: string[];
  /** The codicon stylesheet, for icons in vscode-elements controls (they find it by its id). */
  codiconsUri?: string;
  title: string;
}

/** A fresh nonce for one page: 32 random bytes, base64url (43 characters). */
export function createNonce(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The Content-Security-Policy of a webview page: nothing by default; scripts
 * only with the page's nonce; styles, fonts and images only from the
 * extension's files. No 'unsafe-inline' for styles: uPlot sets styles through
 * the CSSOM (element.style), and vscode-elements (Lit) adopts constructed
 * stylesheets, neither of which style-src governs.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `img-src ${cspSource} data:`, `style-src ${cspSource}`, `font-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}

/**
 * A webview's page (the dashboard, Samples and Neurons all use it): empty, its
 * body built by the script. No workspace text is ever put into this HTML but
 * the escaped title; documents and names reach the page as message data, set
 * with textContent.
 */
export function webviewHtml({ cspSource, nonce, scriptUri, styleUris, codiconsUri, title }: WebviewPageOptions): string {
  const styles = styleUris.map((uri) => `<link rel="stylesheet" href="${escapeHtml(uri)}">`);
  if (codiconsUri) styles.unshift(`<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${escapeHtml(codiconsUri)}">`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.join('\n')}
<title>${escapeHtml(title)}</title>
</head>
<body>
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);
}
