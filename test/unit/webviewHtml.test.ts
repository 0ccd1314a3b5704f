import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, webviewHtml, escapeHtml } from '../../src/extension/webview/webviewHtml';

const page = (title = 'RNN Lab Dashboard') =>
  webviewHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce: 'abc123_-XYZ',
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard/dashboard.js',
    styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard/dashboard.css'],
    title,
  });

test('the dashboard CSP allows nothing by default, scripts only by nonce, and no inline styles', () => {
  const csp = contentSecurityPolicy('https://cdn.example', 'n0nce');
  assert.equal(
    csp,
    "default-src 'none'; img-src https://cdn.example data:; style-src https://cdn.example; font-src https://cdn.example; script-src 'nonce-n0nce'",
  );
  assert.ok(!csp.includes('unsafe'));
  const html = page();
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`));
});

test('every script element of the page carries the nonce', () => {
  const html = page();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  for (const tag of scripts) assert.match(tag, /\bnonce="abc123_-XYZ"/);
  assert.ok(!/<script\b[^>]*>[^<]+<\/script>/.test(html), 'no inline script body');
});

test('the page title is escaped', () => {
  const html = page('runs <img src=x onerror=alert(1)> & "more"');
  assert.ok(html.includes('<title>runs &lt;img src=x onerror=alert(1)&gt; &amp; &quot;more&quot;</title>'));
  assert.ok(!html.includes('<img'));
});

test('the codicon stylesheet is linked with the id vscode-elements looks for, only when given', () => {
  assert.ok(!page().includes('vscode-codicon-stylesheet'));
  const html = webviewHtml({ cspSource: 'x', nonce: 'n', scriptUri: 's.js', styleUris: [], codiconsUri: 'c/codicon.css', title: 't' });
  assert.ok(html.includes('<link rel="stylesheet" id="vscode-codicon-stylesheet" href="c/codicon.css">'));
});

test('createNonce gives 43 url-safe characters, new every time', () => {
  const nonces = new Set(Array.from({ length: 100 }, createNonce));
  assert.equal(nonces.size, 100);
  for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9_-]{43}$/);
});

test('escapeHtml escapes the five characters that matter in text and attributes', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});
