/**
 * The few browser globals the IDE touches, typed here rather than through TypeScript's DOM lib: the repository's
 * tsconfig checks Node code, and `/// <reference lib="dom" />` would switch the whole program's fetch/Response types
 * to the DOM's. (fetch, Headers, URL, TextDecoder and atob are typed by @types/node and behave the same in browsers.)
 */
export interface BrowserStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface BrowserElement {
  textContent: string | null;
}

/** An element the result view sizes, styles or clicks. */
export interface BrowserHtmlElement extends BrowserElement {
  clientWidth: number;
  clientHeight: number;
  classList: { contains(name: string): boolean };
  setAttribute(name: string, value: string): void;
  appendChild(child: BrowserHtmlElement): void;
  remove(): void;
  click(): void;
  href: string;
  download: string;
}

interface BrowserGlobals {
  document: {
    getElementById(id: string): BrowserElement | null;
    createElement(tag: 'a'): BrowserHtmlElement;
    body: BrowserHtmlElement;
  };
  getComputedStyle(element: BrowserHtmlElement): { getPropertyValue(name: string): string };
  matchMedia(query: string): { matches: boolean };
  navigator: { clipboard?: { writeText(text: string): Promise<void> } };
  ResizeObserver: new (callback: () => void) => { observe(element: BrowserHtmlElement): void; disconnect(): void };
  MutationObserver: new (callback: () => void) => {
    observe(element: BrowserHtmlElement, options: { attributes: boolean; attributeFilter: string[] }): void;
    disconnect(): void;
  };
  localStorage: BrowserStorage;
  location: { search: string };
  addEventListener(type: 'storage', listener: (event: { key: string | null; newValue: string | null }) => void): void;
  Worker: new (url: URL, options?: { name?: string }) => object;
}

export const browser = globalThis as unknown as BrowserGlobals;

/** The value of the input or textarea an event came from. */
export const inputValue = (event: { target: unknown }): string => (event.target as { value: string }).value;
