/**
 * Decodes `application/x-www-form-urlencoded` bodies and query strings the way Stripe reads them:
 * nested keys `a[b][c]=v`, indexed arrays `expand[0]=x` and appended arrays `expand[]=x`.
 */
export type FormValue = string | FormValue[] | FormObject;
export type FormObject = { [key: string]: FormValue };

export class FormDecodeError extends Error {}

type Node = { leaf: string } | { children: Map<string, Node> };

const KEY_PATTERN = /^([^[\]]+)((?:\[[^\]]*\])*)$/;

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    throw new FormDecodeError(`Invalid percent-encoding in form data: ${raw}`);
  }
}

function keySegments(key: string): string[] {
  const match = KEY_PATTERN.exec(key);
  if (!match) return [key];
  const rest = match[2] ? match[2].slice(1, -1).split('][') : [];
  return [match[1], ...rest];
}

function insert(root: Map<string, Node>, segments: string[], value: string): void {
  let children = root;
  segments.forEach((rawSegment, index) => {
    // An empty segment (`a[]`) appends: it takes the next free index.
    const segment = rawSegment === '' ? String(children.size) : rawSegment;
    if (index === segments.length - 1) {
      children.set(segment, { leaf: value });
      return;
    }
    let next = children.get(segment);
    if (!next || 'leaf' in next) {
      next = { children: new Map() };
      children.set(segment, next);
    }
    children = next.children;
  });
}

function isIndexKey(key: string): boolean {
  return /^(0|[1-9]\d*)$/.test(key);
}

function nodeValue(node: Node): FormValue {
  return 'leaf' in node ? node.leaf : finalize(node.children);
}

/** A branch whose keys are all indexes becomes an array (in index order), any other an object. */
function finalize(children: Map<string, Node>): FormValue {
  const keys = [...children.keys()];
  if (keys.length > 0 && keys.every(isIndexKey)) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => nodeValue(children.get(key) ?? { leaf: '' }));
  }
  return toObject(children);
}

function toObject(children: Map<string, Node>): FormObject {
  const object: FormObject = {};
  for (const [key, node] of children) object[key] = nodeValue(node);
  return object;
}

export function decodeForm(text: string): FormObject {
  const root = new Map<string, Node>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    if (key !== '') insert(root, keySegments(key), value);
  }
  return toObject(root);
}
