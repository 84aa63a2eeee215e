import type { ServerResponse } from 'node:http';

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal page for the browser-facing emulator steps (onboarding, 3-D Secure); follows `next` if given. */
export function htmlPage(title: string, message: string, next?: { url: string; label: string }): string {
  const refresh = next ? `<meta http-equiv="refresh" content="1; url=${escapeHtml(next.url)}">` : '';
  const link = next ? `<p><a href="${escapeHtml(next.url)}">${escapeHtml(next.label)}</a></p>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${refresh}</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${link}<p><small>Stripe emulator</small></p></body></html>`;
}
