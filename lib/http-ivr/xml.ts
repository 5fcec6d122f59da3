/**
 * The callflow form in XML, turned into the JSON form and checked by the same rules and schema (rules.ts):
 * one code path, with errors naming elements and attributes (Response/Collect/Play[2]/@loop).
 *
 *   <Response>                                  the set; its first element is the main command,
 *     <Collect maxDigits="4" action="/pin">     the following ones secondary, an optional <Jump> last
 *       <Play loop="2">sound:enter-pin</Play>   sub-commands are child elements of the main command
 *     </Collect>
 *     <Jump url="/menu" method="POST"/>         or <Jump method="GET">/menu</Jump>
 *   </Response>
 *
 * - Elements are the commands' names capitalised: Play, Say, Pause, Collect, Record, Transfer, Conference,
 *   Response (the SIP response command, inside the root <Response>), Hangup, Set, Return; and Jump.
 * - Attributes are the JSON attributes of the same name, read with the schema's types (loop="2" is the
 *   number 2, bargeIn="true" the boolean; anything else stays text and the schema says what it expected).
 *   `action` and `method` are the action's url and method (Collect, Record, Transfer, Conference).
 * - <Play>: one media URI as its text, `<Play>sound:hello-world</Play>`, or several as <Media> children,
 *   `<Play><Media>sound:a</Media><Media>digits:42</Media></Play>`, not both.
 * - <Say>: the text to say, as its text.
 * - <Set>: `<Var name="lang">fr</Var>` children; the value is text, or with type="number", "boolean" or
 *   "null" (<Var name="x" type="null"/> removes x).
 * - <Return output="agent">{"json": "payload"}</Return>: the payload is JSON text (none: no payload).
 */
import { commandDefinitions } from '../schemas/http-ivr';
import { shownValue } from '../schemas/validator';
import { put } from '../own';
import { COMMANDS, CommandSetError, type CommandName, type Program } from './commands';
import { checkCommandSet, isCommandName, toProgram, type Naming, type Segment } from './rules';
import { XmlPlaces, noChildren, noText, readXml, textOf, type XmlElement } from './xml-tree';

export const elementName = (command: string): string => command.charAt(0).toUpperCase() + command.slice(1);
const BY_ELEMENT = new Map<string, CommandName>(COMMANDS.map((c) => [elementName(c), c]));
/** Fields a command's content (text, children) gives, never an attribute. */
const CONTENT = new Set(['command', 'sub', 'media', 'text', 'vars', 'payload']);
/**
 * A decimal number. Written so that V8 matches it one way only: \d+\.?\d* splits a run of digits between
 * its two parts every way there is, and 60,000 digits before a wrong character took 12 s (bench/patterns).
 */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function problem(place: string, text: string, rule: 'schema' | 'unknown-command' | 'unreachable' = 'schema'): never {
  throw new CommandSetError(`${place}: ${text}`, rule, place);
}

/** An attribute's value with the type the schema gives the command's attribute. */
function typed(command: CommandName | 'jump', attribute: string, text: string): unknown {
  const def = commandDefinitions[command] as { properties?: Record<string, { type?: string | string[] }> } | undefined;
  const type = def?.properties?.[attribute]?.type;
  if ((type === 'integer' || type === 'number') && NUMBER.test(text.trim())) return Number(text.trim());
  if (type === 'boolean' && (text.trim() === 'true' || text.trim() === 'false')) return text.trim() === 'true';
  return text;
}

function attributes(el: XmlElement, command: CommandName | 'jump', at: Segment[], into: Record<string, unknown>, places: XmlPlaces): void {
  const takesAction = command !== 'jump' && Object.prototype.hasOwnProperty.call((commandDefinitions[command] as { properties: object }).properties, 'action');
  for (const [name, value] of el.attributes) {
    if (command !== 'jump' && CONTENT.has(name)) problem(`${el.path}/@${name}`, `is not an attribute of <${el.name}> (${name === 'command' ? 'the element names the command' : 'it is the element\'s content'})`);
    if (takesAction && (name === 'action' || name === 'method')) {
      const actionOf = (into.action ??= {}) as Record<string, unknown>;
      actionOf[name === 'action' ? 'url' : 'method'] = value;
      places.set([...at, 'action'], `${el.path}/@action`);
      places.set([...at, 'action', name === 'action' ? 'url' : 'method'], `${el.path}/@${name}`);
      continue;
    }
    put(into, name, typed(command, name, value));
  }
}

function varValue(el: XmlElement): unknown {
  const type = el.attributes.get('type') ?? 'string';
  const text = el.text;
  if (type === 'string') return text;
  if (type === 'null') {
    if (text.trim() !== '') problem(el.path, `a null variable takes no text (got ${shownValue(text.trim())})`);
    return null;
  }
  if (type === 'number') {
    if (!NUMBER.test(text.trim()) || !Number.isFinite(Number(text.trim()))) problem(el.path, `is not a number (got ${shownValue(text.trim())})`);
    return Number(text.trim());
  }
  if (type === 'boolean') {
    if (text.trim() !== 'true' && text.trim() !== 'false') problem(el.path, `is not true or false (got ${shownValue(text.trim())})`);
    return text.trim() === 'true';
  }
  return problem(`${el.path}/@type`, `is string, number, boolean or null (got ${shownValue(type)})`);
}

function content(el: XmlElement, name: CommandName, at: Segment[], into: Record<string, unknown>, places: XmlPlaces): void {
  switch (name) {
    case 'play': {
      const text = textOf(el);
      if (el.children.length > 0) {
        if (text !== '') problem(el.path, 'takes one media URI as its text, or <Media> elements, not both');
        into.media = el.children.map((child, i) => {
          if (child.name !== 'Media') problem(child.path, `<Play> takes <Media> elements only (got <${child.name}>)`);
          noChildren(child, '<Media>');
          places.set([...at, 'media', i], child.path);
          return textOf(child);
        });
      } else if (text !== '') {
        into.media = [text];
        places.set([...at, 'media', 0], el.path);
      } else {
        problem(el.path, 'needs a media URI as its text, or <Media> elements');
      }
      places.set([...at, 'media'], el.path);
      return;
    }
    case 'say':
      noChildren(el, '<Say>');
      if (textOf(el) === '') problem(el.path, 'needs the text to say as its text');
      into.text = textOf(el);
      places.set([...at, 'text'], el.path);
      return;
    case 'set': {
      noText(el, '<Set>');
      const vars: Record<string, unknown> = {};
      for (const child of el.children) {
        if (child.name !== 'Var') problem(child.path, `<Set> takes <Var> elements only (got <${child.name}>)`);
        noChildren(child, '<Var>');
        for (const attr of child.attributes.keys()) if (attr !== 'name' && attr !== 'type') problem(`${child.path}/@${attr}`, 'is not an attribute of <Var> (name, type)');
        const varName = child.attributes.get('name');
        if (varName === undefined) problem(`${child.path}/@name`, 'is required');
        if (Object.prototype.hasOwnProperty.call(vars, varName)) problem(`${child.path}/@name`, `sets ${shownValue(varName)} a second time`);
        put(vars, varName, varValue(child));
        places.set([...at, 'vars', varName], child.path);
      }
      if (el.children.length > 0) into.vars = vars;
      places.set([...at, 'vars'], el.path);
      return;
    }
    case 'return': {
      noChildren(el, '<Return>');
      const text = textOf(el);
      if (text !== '') {
        try {
          into.payload = JSON.parse(text) as unknown;
        } catch {
          problem(el.path, `the payload is not JSON (got ${shownValue(text)})`);
        }
      }
      places.set([...at, 'payload'], el.path);
      return;
    }
    case 'collect':
    case 'record':
    case 'transfer':
    case 'response':
      noText(el, `<${el.name}>`);
      if (el.children.length > 0) into.sub = el.children.map((child, i) => command(child, [...at, 'sub', i], places));
      places.set([...at, 'sub'], el.path);
      return;
    default:
      noText(el, `<${el.name}>`);
      noChildren(el, `<${el.name}>`);
  }
}

function command(el: XmlElement, at: Segment[], places: XmlPlaces): Record<string, unknown> {
  const name = BY_ELEMENT.get(el.name);
  if (name === undefined || !isCommandName(name)) {
    problem(el.path, `<${el.name}> is not a command; the commands are ${COMMANDS.map((c) => `<${elementName(c)}>`).join(', ')}${el.name === 'Jump' ? ' (<Jump> goes last in <Response>)' : ''}`, 'unknown-command');
  }
  places.set(at, el.path);
  places.set([...at, 'command'], el.path);
  const out: Record<string, unknown> = { command: name };
  attributes(el, name, at, out, places);
  content(el, name, at, out, places);
  return out;
}

function jump(el: XmlElement, places: XmlPlaces): Record<string, unknown> {
  noChildren(el, '<Jump>');
  const out: Record<string, unknown> = {};
  places.set(['jump'], el.path);
  attributes(el, 'jump', ['jump'], out, places);
  const text = textOf(el);
  if (text !== '') {
    if (el.attributes.has('url')) problem(el.path, 'takes its URL as the url attribute or as its text, not both');
    out.url = text;
    places.set(['jump', 'url'], el.path);
  }
  return out;
}

/** A callflow command set in XML, as the JSON form (not checked yet), with the places of its parts. */
export function fromXml(root: XmlElement): { value: Record<string, unknown>; places: Naming } {
  const places = new XmlPlaces((name) => `<${elementName(name)}>`);
  if (root.name !== 'Response') problem(root.path, `the root element is <${root.name}>; a command set is a <Response>`);
  noText(root, '<Response>');
  places.set([], root.path);
  const children = root.children;
  const firstJump = children.findIndex((c) => c.name === 'Jump');
  const after = firstJump >= 0 ? children[firstJump + 1] : undefined;
  if (after) problem(after.path, `is unreachable: nothing runs after the <Jump> (${(children[firstJump] as XmlElement).path})`, 'unreachable');
  const commands = firstJump >= 0 ? children.slice(0, firstJump) : children;
  const [main, ...secondary] = commands;
  if (!main) problem(root.path, 'has no command: its first element is the main command');
  const value: Record<string, unknown> = { main: command(main, ['main'], places) };
  if (secondary.length > 0) value.secondary = secondary.map((el, i) => command(el, ['secondary', i], places));
  places.set(['secondary'], root.path);
  if (firstJump >= 0) value.jump = jump(children[firstJump] as XmlElement, places);
  return { value, places };
}

/** A callflow command set's XML root, checked and as a program. */
export function callflowProgram(root: XmlElement): Program {
  const { value, places } = fromXml(root);
  return toProgram(checkCommandSet(value, places), 'xml');
}

/** A callflow command set in XML, read (xml-tree.ts), checked and as a program. */
export function parseCallflowXml(source: string): Program {
  return callflowProgram(readXml(source));
}
