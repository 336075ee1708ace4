/**
 * A small XML reader and writer for the simulator's ONVIF server (events.md §2). No XML library:
 * the package ships none, and a SOAP request to a camera is a few elements deep.
 *
 * Reading: elements, attributes, text, CDATA, comments and processing instructions, with
 * namespace prefixes resolved to URIs so callers match by local name and namespace URI, never
 * by prefix (events.md §2.4). What a camera has no use for is refused: a DOCTYPE (and with it any
 * entity definition, so no entity expansion), entity references other than the five predefined
 * ones and character references, more than {@link MAX_DEPTH} levels, more than
 * {@link MAX_ELEMENTS} elements. Any malformation throws {@link XmlError}.
 *
 * Writing: {@link escapeXml} escapes a value for text or a double-quoted attribute.
 */

/** An element with its namespace resolved. */
export interface XmlElement {
  /** Name without prefix. */
  local: string;
  /** Namespace URI ('' when none is in scope). */
  ns: string;
  /** Prefix as written ('' when none). */
  prefix: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** The element's own text (children's text not included), entities decoded. */
  text: string;
}

/** An attribute with its namespace resolved (an unprefixed attribute has no namespace). */
export interface XmlAttribute {
  local: string;
  ns: string;
  prefix: string;
  value: string;
}

/** The input is not XML the server accepts. */
export class XmlError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

/** Deepest nesting accepted. */
export const MAX_DEPTH = 64;
/** Most elements accepted in one document. */
export const MAX_ELEMENTS = 5000;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const NAME = /^[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?$/;
const TAG_NAME = /[^\s/>]+/y;
const SPACE = /\s*/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Escapes `&`, `<`, `>`, `"` and `'` so a value is safe in text and in a quoted attribute. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c] as string};`);
}

function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let at = 0;
  for (;;) {
    const amp = raw.indexOf('&', at);
    if (amp < 0) return out + raw.slice(at);
    out += raw.slice(at, amp);
    const semi = raw.indexOf(';', amp);
    if (semi < 0 || semi - amp > 10) throw new XmlError('a bare "&" in text or attribute');
    const ref = raw.slice(amp + 1, semi);
    if (Object.hasOwn(PREDEFINED, ref)) {
      out += PREDEFINED[ref] as string;
    } else {
      const m = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(ref);
      if (m === null) throw new XmlError(`unknown entity reference &${ref};`);
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new XmlError(`invalid character reference &${ref};`);
      out += String.fromCodePoint(code);
    }
    at = semi + 1;
  }
}

interface RawElement {
  qname: string;
  rawAttributes: [string, string][];
  scope: Map<string, string>;
  element: XmlElement;
  textParts: string[];
}

function splitName(qname: string): [string, string] {
  const colon = qname.indexOf(':');
  return colon < 0 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

/**
 * Parses a document and returns its root element. Throws {@link XmlError} on anything malformed
 * or refused (see the file comment).
 */
export function parseXml(input: string): XmlElement {
  let i = 0;
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const stack: RawElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  const rootScope = new Map<string, string>([
    ['xml', XML_NS],
    ['', ''],
  ]);

  const fail = (what: string): never => {
    throw new XmlError(`${what} at offset ${i}`);
  };

  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk !== '') {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (chunk.trim() !== '') fail('text outside the root element');
      } else {
        if (chunk.includes(']]>')) fail('"]]>" in text');
        top.textParts.push(decodeEntities(chunk));
      }
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const top = stack[stack.length - 1];
      if (top === undefined) fail('CDATA outside the root element');
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) fail('unterminated CDATA section');
      top!.textParts.push(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      fail('DOCTYPE and other declarations are not accepted');
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) fail('unterminated end tag');
      const qname = text.slice(i + 2, end).trim();
      const top = stack.pop();
      if (top === undefined || top.qname !== qname) fail(`end tag </${qname}> does not match`);
      top!.element.text = top!.textParts.join('');
      i = end + 1;
      if (stack.length === 0) root = top!.element;
    } else {
      if (root !== undefined) fail('a second root element');
      i += 1;
      TAG_NAME.lastIndex = i;
      const nameMatch = TAG_NAME.exec(text);
      if (nameMatch === null) fail('element without a name');
      const qname = nameMatch![0];
      if (!NAME.test(qname)) fail(`bad element name "${qname}"`);
      i += qname.length;
      const rawAttributes: [string, string][] = [];
      let selfClosing = false;
      for (;;) {
        SPACE.lastIndex = i;
        const ws = SPACE.exec(text);
        i += ws === null ? 0 : ws[0].length;
        if (i >= text.length) fail('unterminated start tag');
        if (text.startsWith('/>', i)) {
          selfClosing = true;
          i += 2;
          break;
        }
        if (text[i] === '>') {
          i += 1;
          break;
        }
        if (rawAttributes.length > 0 && ws !== null && ws[0] === '') fail('attributes must be separated by white space');
        ATTRIBUTE.lastIndex = i;
        const attr = ATTRIBUTE.exec(text);
        if (attr === null) fail('bad attribute');
        const name = attr![1] as string;
        if (!NAME.test(name)) fail(`bad attribute name "${name}"`);
        if (rawAttributes.some(([n]) => n === name)) fail(`attribute "${name}" repeated`);
        rawAttributes.push([name, decodeEntities(attr![2] ?? attr![3] ?? '')]);
        i += attr![0].length;
      }
      count += 1;
      if (count > MAX_ELEMENTS) fail(`more than ${MAX_ELEMENTS} elements`);
      if (stack.length >= MAX_DEPTH) fail(`deeper than ${MAX_DEPTH} levels`);

      const parent = stack[stack.length - 1];
      const scope = new Map(parent?.scope ?? rootScope);
      for (const [name, value] of rawAttributes) {
        if (name === 'xmlns') scope.set('', value);
        else if (name.startsWith('xmlns:')) {
          const prefix = name.slice(6);
          if (value === '') fail(`prefix "${prefix}" bound to no namespace`);
          scope.set(prefix, value);
        }
      }
      const [prefix, local] = splitName(qname);
      const ns = scope.get(prefix);
      if (ns === undefined) fail(`undeclared prefix "${prefix}"`);
      const attributes: XmlAttribute[] = [];
      for (const [name, value] of rawAttributes) {
        if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
        const [ap, al] = splitName(name);
        const ans = ap === '' ? '' : scope.get(ap);
        if (ans === undefined) fail(`undeclared prefix "${ap}"`);
        if (ans === XMLNS_NS) continue;
        attributes.push({ local: al, ns: ans as string, prefix: ap, value });
      }
      const element: XmlElement = { local, ns: ns as string, prefix, attributes, children: [], text: '' };
      if (parent !== undefined) parent.element.children.push(element);
      if (selfClosing) {
        if (parent === undefined) root = element;
      } else {
        stack.push({ qname, rawAttributes, scope, element, textParts: [] });
      }
    }
  }
  if (stack.length > 0) throw new XmlError(`unclosed element <${stack[stack.length - 1]!.qname}>`);
  if (root === undefined) throw new XmlError('no root element');
  return root;
}

/** The first child with this local name (and namespace URI, when given). */
export function childOf(element: XmlElement | undefined, local: string, ns?: string): XmlElement | undefined {
  return element?.children.find((c) => c.local === local && (ns === undefined || c.ns === ns));
}

/** Every child with this local name (and namespace URI, when given). */
export function childrenOf(element: XmlElement | undefined, local: string, ns?: string): XmlElement[] {
  return element === undefined ? [] : element.children.filter((c) => c.local === local && (ns === undefined || c.ns === ns));
}

/** The value of an attribute by local name (and namespace URI, when given). */
export function attributeOf(element: XmlElement | undefined, local: string, ns?: string): string | undefined {
  return element?.attributes.find((a) => a.local === local && (ns === undefined || a.ns === ns))?.value;
}

/** The element's text with surrounding white space removed. */
export function textOf(element: XmlElement | undefined): string | undefined {
  return element === undefined ? undefined : element.text.trim();
}
