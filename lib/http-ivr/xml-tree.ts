/**
 * An application's XML answer (the callflow form, xml.ts, or TwiML, twiml.ts) read into a small element
 * tree with saxes, strictly: a well-formed document with one root, no DOCTYPE (so no entity of its own: an
 * entity bomb has nowhere to be declared, and saxes refuses any entity it does not know), no processing
 * instruction but the XML declaration, no namespaces. The tree is bounded (depth, elements, attributes), so a
 * hostile document costs memory in proportion to its size, which the HTTP side caps at 64 KiB, and no more.
 * Each element knows its path (Response/Gather/Say[2]) for the errors.
 */
import { SaxesParser } from 'saxes';
import { shownValue } from '../schemas/validator';
import { CommandSetError } from './commands';
import { jsonPath, type Naming, type Segment } from './rules';

export interface XmlElement {
  name: string;
  /** In document order. */
  attributes: Map<string, string>;
  children: XmlElement[];
  /** The element's own text and CDATA, children's excluded. */
  text: string;
  /** Response/Collect/Play[2]: the index counts the siblings of the same name, from 1, and shows when there are several. */
  path: string;
}

/** Elements nested deeper than this are refused (the forms need 4: Response/Collect/Play/Media). */
export const MAX_XML_DEPTH = 8;
/** Elements in one document at most. */
export const MAX_XML_ELEMENTS = 1000;
/** Attributes of one element at most. */
export const MAX_XML_ATTRIBUTES = 32;

function refuse(text: string, place = '(the XML)'): never {
  throw new CommandSetError(`${place}: ${text}`, 'syntax', place);
}

/** The document's root element, or a CommandSetError (rule 'syntax') saying why not. */
export function readXml(source: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  const where = (): string => `line ${parser.line}, column ${parser.column}`;
  parser.on('error', (err) => refuse(`is not well-formed XML: ${err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '')} (${where()})`));
  parser.on('doctype', () => refuse(`has a DOCTYPE (${where()}); DOCTYPEs and the entities they declare are refused`));
  parser.on('processinginstruction', (pi) => refuse(`has a processing instruction <?${shownValue(pi.target, 40).slice(1, -1)} ...?> (${where()}); only the XML declaration is taken`));
  parser.on('opentag', (tag) => {
    elements += 1;
    if (elements > MAX_XML_ELEMENTS) refuse(`has more than ${MAX_XML_ELEMENTS} elements`);
    if (open.length >= MAX_XML_DEPTH) refuse(`nests elements deeper than ${MAX_XML_DEPTH} levels (${where()})`);
    const attributes = new Map<string, string>();
    for (const [key, value] of Object.entries(tag.attributes as Record<string, string>)) attributes.set(key, value);
    if (attributes.size > MAX_XML_ATTRIBUTES) refuse(`<${tag.name}> has more than ${MAX_XML_ATTRIBUTES} attributes (${where()})`);
    const element: XmlElement = { name: tag.name, attributes, children: [], text: '', path: tag.name };
    const parent = open[open.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    open.push(element);
  });
  parser.on('closetag', () => {
    open.pop();
  });
  const addText = (text: string): void => {
    const current = open[open.length - 1];
    if (current) current.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.write(source.startsWith('\uFEFF') ? source.slice(1) : source).close();
  if (!root) return refuse('has no root element');
  namePaths(root);
  return root;
}

function namePaths(root: XmlElement): void {
  const stack = [root];
  while (stack.length > 0) {
    const el = stack.pop() as XmlElement;
    const counts = new Map<string, number>();
    for (const child of el.children) counts.set(child.name, (counts.get(child.name) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const child of el.children) {
      const n = (seen.get(child.name) ?? 0) + 1;
      seen.set(child.name, n);
      child.path = `${el.path}/${child.name}${(counts.get(child.name) ?? 0) > 1 ? `[${n}]` : ''}`;
      stack.push(child);
    }
  }
}

/** The element's text without the whitespace around it. */
export function textOf(el: XmlElement): string {
  return el.text.trim();
}

/** Refuses text (other than whitespace) in an element whose content is elements only. */
export function noText(el: XmlElement, what: string, rule: 'schema' | 'twiml-unsupported' = 'schema'): void {
  const text = el.text.trim();
  if (text !== '') throw new CommandSetError(`${el.path}: ${what} takes no text (got ${shownValue(text)})`, rule, el.path);
}

/** Refuses child elements in an element whose content is text only. */
export function noChildren(el: XmlElement, what: string, rule: 'schema' | 'twiml-unsupported' = 'schema'): void {
  const child = el.children[0];
  if (child) throw new CommandSetError(`${child.path}: ${what} takes no elements, only text`, rule, child.path);
}

/** Where each JSON path of the converted set came from (element paths); attributes are found under their element. */
export class XmlPlaces implements Naming {
  private readonly byPath = new Map<string, string>();

  constructor(private readonly commandName: (name: string) => string) {}

  set(at: readonly Segment[], place: string): void {
    this.byPath.set(jsonPath(at), place);
  }

  place(at: readonly Segment[]): string {
    for (let k = at.length; k >= 0; k -= 1) {
      const found = this.byPath.get(jsonPath(at.slice(0, k)));
      if (found === undefined) continue;
      const rest = at.slice(k);
      if (rest.length === 0) return found;
      const [first, ...more] = rest;
      const attribute = typeof first === 'string' ? `${found}/@${first}` : `${found} ${jsonPath(rest)}`;
      return more.length === 0 || typeof first !== 'string' ? attribute : `${attribute} ${jsonPath(more)}`;
    }
    return jsonPath(at);
  }

  command(name: string): string {
    return this.commandName(name);
  }
}
