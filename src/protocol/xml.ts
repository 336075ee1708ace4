/**
 * A minimal XML reader for the SOAP replies of cameras (ONVIF, ../shared/protocol/events.md §2).
 * The package ships no XML library; a camera's reply is a few kilobytes, a few levels deep.
 *
 * What it reads: elements, attributes, text, CDATA; comments, the XML declaration and processing
 * instructions are skipped. Namespace prefixes are resolved to URIs where declared (an undeclared
 * prefix leaves the URI empty), and callers match elements and attributes by LOCAL NAME
 * (events.md §2.4: cameras write `SOAP-ENV:`/`wsa5:` where others write `s:`/`wsa:`).
 *
 * What it refuses (a {@link TapoError} of kind `Device`, reason `xmlMalformed`): a DOCTYPE or any
 * other `<!` declaration (so no entity definitions and nothing to expand), entity references
 * other than the five predefined ones and character references, unbalanced or mismatched tags, a
 * second root, text outside the root, duplicate attributes, more than {@link XML_LIMITS} allow.
 *
 * Written apart from the simulator's reader (src/simulator/onvif/xml.ts) on purpose: the client
 * and the fake device must not share the code that reads the wire.
 */
import { TapoError } from './errors';

/** An element, with its prefix resolved. */
export interface XmlElement {
  /** Name without prefix. */
  readonly local: string;
  /** Namespace URI, '' when none is declared for its prefix. */
  readonly ns: string;
  /** Attributes in document order (namespace declarations not included). */
  readonly attributes: readonly XmlAttribute[];
  /** Child elements in document order. */
  readonly children: readonly XmlElement[];
  /** The element's own text and CDATA, entities decoded (children's text not included). */
  readonly text: string;
}

/** An attribute (an unprefixed attribute has no namespace). */
export interface XmlAttribute {
  readonly local: string;
  readonly ns: string;
  readonly value: string;
}

/** Limits of one document. */
export const XML_LIMITS = {
  /** Characters (a PullMessages reply of 100 messages is about 80 000). */
  maxChars: 4 * 1024 * 1024,
  /** Nesting depth. */
  maxDepth: 64,
  /** Elements. */
  maxElements: 50_000,
} as const;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const NAME = /[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)?/y;
const SPACE = /[ \t\r\n]*/y;
const ATTRIBUTE = /([^\s=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function malformed(detail: string): TapoError {
  return new TapoError('Device', 'xmlMalformed', { params: { detail } });
}

/** Decodes the five predefined entities and character references; anything else is refused. */
function decode(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&]{0,12});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw malformed('a bare "&"');
    const named = PREDEFINED[ref];
    if (named !== undefined && Object.hasOwn(PREDEFINED, ref)) return named;
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (m === null) throw malformed(`the entity reference &${ref}; (only &lt; &gt; &amp; &quot; &apos; and character references are read)`);
    const code = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2]);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw malformed(`the character reference &${ref};`);
    return String.fromCodePoint(code);
  });
}

interface Open {
  qname: string;
  local: string;
  ns: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  text: string;
  scope: ReadonlyMap<string, string>;
}

function resolve(qname: string, scope: ReadonlyMap<string, string>, isAttribute: boolean): { local: string; ns: string } {
  const colon = qname.indexOf(':');
  if (colon < 0) return { local: qname, ns: isAttribute ? '' : (scope.get('') ?? '') };
  return { local: qname.slice(colon + 1), ns: scope.get(qname.slice(0, colon)) ?? '' };
}

/**
 * Parses a whole document and returns its root element. Throws a `Device` {@link TapoError}
 * (`xmlMalformed`) on anything malformed or refused (see the file comment).
 */
export function parseXml(input: string): XmlElement {
  if (input.length > XML_LIMITS.maxChars) throw malformed(`more than ${XML_LIMITS.maxChars} characters`);
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let i = 0;
  const rootScope: ReadonlyMap<string, string> = new Map([['xml', XML_NS]]);

  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk !== '') {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (chunk.trim() !== '') throw malformed(`text outside the root element at offset ${i}`);
      } else {
        top.text += decode(chunk);
      }
    }
    if (lt < 0) break;
    i = lt;

    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) throw malformed('an unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw malformed('an unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const top = stack[stack.length - 1];
      if (top === undefined) throw malformed('CDATA outside the root element');
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) throw malformed('an unterminated CDATA section');
      top.text += text.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', i)) throw malformed('a DOCTYPE or other declaration (refused: no entities are defined or expanded)');

    if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i + 2);
      if (end < 0) throw malformed('an unterminated end tag');
      const qname = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || open.qname !== qname) throw malformed(`the end tag </${qname}> does not match <${open?.qname ?? ''}>`);
      const element: XmlElement = { local: open.local, ns: open.ns, attributes: open.attributes, children: open.children, text: open.text };
      const parent = stack[stack.length - 1];
      if (parent === undefined) root = element;
      else parent.children.push(element);
      i = end + 1;
      continue;
    }

    // A start tag.
    if (root !== undefined) throw malformed('a second root element');
    NAME.lastIndex = i + 1;
    const name = NAME.exec(text);
    if (name === null) throw malformed(`a bad element name at offset ${i}`);
    const qname = name[0];
    i = NAME.lastIndex;
    const raw: [string, string][] = [];
    for (;;) {
      SPACE.lastIndex = i;
      SPACE.exec(text);
      const spaced = SPACE.lastIndex > i;
      i = SPACE.lastIndex;
      if (text.startsWith('/>', i) || text.startsWith('>', i)) break;
      ATTRIBUTE.lastIndex = i;
      const attribute = spaced ? ATTRIBUTE.exec(text) : null;
      if (attribute === null) throw malformed(`a bad attribute in <${qname}>`);
      const attrName = attribute[1] ?? '';
      if (raw.some(([n]) => n === attrName)) throw malformed(`the attribute ${attrName} twice in <${qname}>`);
      raw.push([attrName, decode(attribute[2] ?? attribute[3] ?? '')]);
      i = ATTRIBUTE.lastIndex;
    }
    const selfClosing = text.startsWith('/>', i);
    i += selfClosing ? 2 : 1;

    elements += 1;
    if (elements > XML_LIMITS.maxElements) throw malformed(`more than ${XML_LIMITS.maxElements} elements`);
    if (stack.length + 1 > XML_LIMITS.maxDepth) throw malformed(`more than ${XML_LIMITS.maxDepth} levels`);

    const parentScope = stack[stack.length - 1]?.scope ?? rootScope;
    let scope = parentScope;
    for (const [n, value] of raw) {
      if (n === 'xmlns' || n.startsWith('xmlns:')) {
        if (scope === parentScope) scope = new Map(parentScope);
        (scope as Map<string, string>).set(n === 'xmlns' ? '' : n.slice(6), value);
      }
    }
    const attributes: XmlAttribute[] = [];
    for (const [n, value] of raw) {
      if (n === 'xmlns' || n.startsWith('xmlns:')) continue;
      attributes.push({ ...resolve(n, scope, true), value });
    }
    const open: Open = { qname, ...resolve(qname, scope, false), attributes, children: [], text: '', scope };
    if (selfClosing) {
      const element: XmlElement = { local: open.local, ns: open.ns, attributes, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent === undefined) root = element;
      else parent.children.push(element);
    } else {
      stack.push(open);
    }
  }
  if (stack.length > 0) throw malformed(`<${stack[stack.length - 1]?.qname ?? ''}> is not closed`);
  if (root === undefined) throw malformed('no root element');
  return root;
}

/** The first child with this local name. */
export function xmlChild(element: XmlElement | undefined, local: string): XmlElement | undefined {
  return element?.children.find((c) => c.local === local);
}

/** Every child with this local name. */
export function xmlChildren(element: XmlElement | undefined, local: string): XmlElement[] {
  return element === undefined ? [] : element.children.filter((c) => c.local === local);
}

/** Follows a path of local names from `element` (first match at each step). */
export function xmlPath(element: XmlElement | undefined, ...locals: string[]): XmlElement | undefined {
  let at = element;
  for (const local of locals) at = xmlChild(at, local);
  return at;
}

/** The element's own text, trimmed; undefined for no element. */
export function xmlText(element: XmlElement | undefined): string | undefined {
  return element?.text.trim();
}

/** The value of the attribute with this local name (any namespace), or undefined. */
export function xmlAttribute(element: XmlElement | undefined, local: string): string | undefined {
  return element?.attributes.find((a) => a.local === local)?.value;
}
