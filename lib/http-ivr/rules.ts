/**
 * The rules of a command set (../shared/reference/http-ivr-command-sets.zh.txt, commands.ts): a main
 * command may nest sub-commands one level deep, not every command may be nested, no command nests itself,
 * some commands may only be the main one; and nothing follows a command that ends the set. Then the
 * schema (lib/schemas/http-ivr.ts), and what a schema cannot say (minDigits <= maxDigits).
 *
 * The rules run first, on the structure as it came: the schema would call a `sub` where it may not be
 * "not a known attribute", and the user would not learn which rule the set breaks. They look only at
 * `command` names and `sub` lists, and leave anything of another shape to the schema.
 *
 * Every problem is a CommandSetError naming the place: the JSON path (main.sub[1].loop), or, through a
 * Naming, the XML element (Response/Collect/Play[2]/@loop).
 */
import type { ErrorObject } from 'ajv';
import { TRANSFER_TARGETS, commandSet, commandValidator, jumpValidator } from '../schemas/http-ivr';
import { shownKey, shownValue } from '../schemas/validator';
import { COMMANDS, CommandSetError, ENDS_SET, MAIN_ONLY, NESTS, type Command, type CommandName, type CommandSet, type Program, type Rule, type Step } from './commands';

export type Segment = string | number;

/** How a form names places and commands in its problems. */
export interface Naming {
  /** The place of a value, from its path in the JSON form. */
  place(at: readonly Segment[]): string;
  /** A command's name as the form writes it. */
  command(name: string): string;
}

/** main.sub[1].loop */
export function jsonPath(at: readonly Segment[]): string {
  let out = '';
  for (const seg of at) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${shownKey(seg)}`;
  return out || '(the command set)';
}

export const JSON_NAMING: Naming = { place: jsonPath, command: (name) => name };

/** JSON nested deeper than this is refused before anything walks it (a msg.payload is cloned and serialised recursively). */
export const MAX_JSON_DEPTH = 32;
/** Problems listed in one error at most. */
const MAX_PROBLEMS = 5;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
export const isCommandName = (name: unknown): name is CommandName => typeof name === 'string' && (COMMANDS as readonly string[]).includes(name);

function fail(naming: Naming, at: readonly Segment[], rule: Rule, text: string): never {
  const place = naming.place(at);
  throw new CommandSetError(`${place}: ${text}`, rule, place);
}

function list(names: readonly string[], naming: Naming): string {
  const shown = names.map((n) => naming.command(n));
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

/** The path of the first value nested deeper than `max` (arrays and objects), found without recursion. */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): Segment[] | undefined {
  const stack: { v: unknown; at: Segment[] }[] = [{ v: value, at: [] }];
  while (stack.length > 0) {
    const { v, at } = stack.pop() as { v: unknown; at: Segment[] };
    if (typeof v !== 'object' || v === null) continue;
    if (at.length >= max) return at;
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, at: [...at, i] }));
    else for (const key of Object.keys(v)) stack.push({ v: (v as Record<string, unknown>)[key], at: [...at, key] });
  }
  return undefined;
}

/** unknown-command, main-only, self-nesting, not-nestable and nesting-depth of one command. */
function checkCommand(cmd: unknown, at: Segment[], isMain: boolean, naming: Naming): void {
  if (!isObject(cmd) || typeof cmd.command !== 'string') return;
  const name = cmd.command;
  if (!isCommandName(name)) fail(naming, [...at, 'command'], 'unknown-command', `${shownValue(name)} is not a command; the commands are ${COMMANDS.map((c) => naming.command(c)).join(', ')}`);
  if (!isMain && MAIN_ONLY.has(name)) fail(naming, at, 'main-only', `${naming.command(name)} may only be the main command of a set (the main-only commands are ${list([...MAIN_ONLY], naming)})`);
  if (!own(cmd, 'sub')) return;
  const nests = NESTS[name];
  const nestsText = nests.length === 0 ? `${naming.command(name)} nests no commands` : `${naming.command(name)} nests only ${list(nests, naming)}`;
  const items = cmd.sub;
  if (!Array.isArray(items)) {
    if (nests.length === 0) fail(naming, [...at, 'sub'], 'not-nestable', nestsText);
    return;
  }
  if (nests.length === 0 && items.length === 0) fail(naming, [...at, 'sub'], 'not-nestable', nestsText);
  items.forEach((item, i) => {
    if (!isObject(item) || typeof item.command !== 'string') {
      if (nests.length === 0) fail(naming, [...at, 'sub', i], 'not-nestable', nestsText);
      return;
    }
    const inner = item.command;
    const where = [...at, 'sub', i];
    if (!isCommandName(inner)) fail(naming, [...where, 'command'], 'unknown-command', `${shownValue(inner)} is not a command; the commands are ${COMMANDS.map((c) => naming.command(c)).join(', ')}`);
    if (inner === name) fail(naming, where, 'self-nesting', `${naming.command(name)} may not nest itself`);
    if (!nests.includes(inner)) fail(naming, where, 'not-nestable', `${naming.command(inner)} may not be nested in ${naming.command(name)}; ${nestsText}`);
    if (own(item, 'sub')) fail(naming, [...where, 'sub'], 'nesting-depth', `commands nest one level only: ${naming.command(inner)}, nested in ${naming.command(name)}, may not nest commands of its own`);
  });
}

/**
 * The document's rules on a command set as it came (any shape): each command's, then `unreachable`:
 * nothing after a command that ends the set, not even a jump.
 */
export function checkRules(value: unknown, naming: Naming = JSON_NAMING): void {
  if (!isObject(value)) return;
  checkCommand(value.main, ['main'], true, naming);
  const sequence: { cmd: unknown; at: Segment[] }[] = [{ cmd: value.main, at: ['main'] }];
  if (Array.isArray(value.secondary)) {
    value.secondary.forEach((cmd, i) => {
      checkCommand(cmd, ['secondary', i], false, naming);
      sequence.push({ cmd, at: ['secondary', i] });
    });
  }
  const ender = sequence.findIndex(({ cmd }) => isObject(cmd) && isCommandName(cmd.command) && ENDS_SET.has(cmd.command));
  if (ender < 0) return;
  const end = sequence[ender] as { cmd: Record<string, unknown>; at: Segment[] };
  const after = `nothing runs after ${naming.command(String(end.cmd.command))} (${naming.place(end.at)})`;
  const next = sequence[ender + 1];
  if (next) fail(naming, next.at, 'unreachable', `is unreachable: ${after}`);
  if (own(value, 'jump')) fail(naming, ['jump'], 'unreachable', `the jump is unreachable: ${after}`);
}

/** The errors worth telling: "if" repeats what its "then" said; inside oneOf's branches and propertyNames, the keyword itself says it better. */
function told(e: ErrorObject): boolean {
  return !(e.keyword === 'if' || /\/oneOf\/\d+\//.test(e.schemaPath) || /\/propertyNames\/./.test(e.schemaPath));
}

/** One error as a problem at its place: the schema's description, and the value got. */
function schemaProblem(e: ErrorObject, base: readonly Segment[]): { at: Segment[]; text: string } {
  const at: Segment[] = [...base, ...e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^(0|[1-9]\d{0,8})$/.test(s) ? Number(s) : s))];
  const parent = e.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  if (e.keyword === 'required') return { at: [...at, (e.params as { missingProperty: string }).missingProperty], text: 'is required' };
  if (e.keyword === 'additionalProperties') {
    return { at: [...at, (e.params as { additionalProperty: string }).additionalProperty], text: `is not known here (known: ${Object.keys(parent?.properties ?? {}).join(', ')})` };
  }
  if (e.keyword === 'propertyNames') return { at: [...at, (e.params as { propertyName: string }).propertyName], text: 'is not a variable name: a letter or _, then letters, digits or _ (at most 64)' };
  if (e.keyword === 'oneOf') {
    // Only a transfer's targets are a oneOf.
    const present = isObject(e.data) ? TRANSFER_TARGETS.filter((t) => own(e.data as Record<string, unknown>, t)) : [];
    return { at, text: `needs exactly one of ${TRANSFER_TARGETS.join(', ')} (it has ${present.length === 0 ? 'none' : present.join(' and ')})` };
  }
  return { at, text: `${parent?.description ?? e.message ?? 'is not valid'} (got ${shownValue(e.data)})` };
}

/**
 * The first problems, worded and placed, and how many more there are. A hostile set can make thousands
 * of errors: they are told apart by ajv's own fields (a Set, not a comparison of each with every other), and
 * only the ones shown are worded.
 */
function schemaFailure(errors: readonly ErrorObject[] | undefined, base: readonly Segment[], naming: Naming): never {
  if (errors === undefined) fail(naming, base, 'schema', 'is not plain JSON data');
  const seen = new Set<string>();
  const shown: { at: Segment[]; text: string }[] = [];
  for (const e of errors) {
    if (!told(e)) continue;
    const key = `${e.instancePath}\n${e.keyword}\n${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (shown.length < MAX_PROBLEMS) shown.push(schemaProblem(e, base));
  }
  const first = shown[0] ?? { at: [...base], text: 'is not valid' };
  const lines = shown.map((p) => `${naming.place(p.at)}: ${p.text}`);
  if (seen.size > shown.length) lines.push(`and ${seen.size - shown.length} more`);
  const place = naming.place(first.at);
  throw new CommandSetError(lines.join('; '), 'schema', place);
}

/** What the schema cannot say about a valid command. */
function checkRelations(cmd: Command, at: readonly Segment[], naming: Naming): void {
  if (cmd.command === 'collect' && cmd.minDigits !== undefined && cmd.maxDigits !== undefined && cmd.maxDigits < cmd.minDigits) {
    fail(naming, [...at, 'maxDigits'], 'schema', `is ${cmd.maxDigits}, fewer than minDigits (${cmd.minDigits})`);
  }
}

function checkDepth(value: unknown, base: readonly Segment[], naming: Naming): void {
  const deep = tooDeep(value);
  if (deep) fail(naming, [...base, ...deep], 'schema', `nests deeper than ${MAX_JSON_DEPTH} levels`);
}

/** A command set as it came (parsed JSON, or XML turned into it), checked: the depth, the rules, the schema. */
export function checkCommandSet(value: unknown, naming: Naming = JSON_NAMING): CommandSet {
  if (!isObject(value)) fail(naming, [], 'schema', `is an object with main, and optionally secondary and jump (got ${shownValue(value)})`);
  checkDepth(value, [], naming);
  checkRules(value, naming);
  const errors = commandSet.errorsOf(value);
  if (errors === undefined || errors.length > 0) schemaFailure(errors, [], naming);
  const set = value as unknown as CommandSet;
  checkRelations(set.main, ['main'], naming);
  set.secondary?.forEach((cmd, i) => checkRelations(cmd, ['secondary', i], naming));
  return set;
}

/** One step of a TwiML program, checked with its command's definition (a Redirect with the jump's). */
export function checkStep(step: Step, at: readonly Segment[], naming: Naming): Step {
  checkDepth(step, at, naming);
  if (step.command === 'jump') {
    const errors = jumpValidator.errorsOf(step.jump);
    if (errors === undefined || errors.length > 0) schemaFailure(errors, [...at, 'jump'], naming);
    return step;
  }
  const errors = commandValidator.errorsOf(step);
  if (errors === undefined || errors.length > 0) schemaFailure(errors, at, naming);
  checkRelations(step, at, naming);
  return step;
}

/** The steps of a checked set: the main command (with its sub-commands), the secondary ones, then the jump. */
export function toProgram(set: CommandSet, form: Program['form'] = 'json'): Program {
  const steps: Step[] = [set.main, ...(set.secondary ?? [])];
  if (set.jump) steps.push({ command: 'jump', jump: set.jump });
  return { steps, form };
}
