/**
 * JSON Schema validation with ajv, compiled once per schema. The same
 * schemas check a node's config at deploy, the overrides a msg carries, and
 * (compiled by ajv's standalone generator at build time) the editor's forms.
 * Problems read as "field: what was expected (got value)".
 */
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, $data: true });

export type Check<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(what ? `${what}: ${problems.join('; ')}` : problems.join('; '));
  }
}

export class Validator<T> {
  private compiled: ValidateFunction | undefined;

  constructor(
    readonly name: string,
    readonly schema: AnySchema,
  ) {}

  private get fn(): ValidateFunction {
    this.compiled ??= ajv.compile(this.schema);
    return this.compiled;
  }

  check(value: unknown): Check<T> {
    let valid: boolean;
    try {
      valid = this.fn(value);
    } catch {
      // ajv's code compares and converts values as JSON holds them; an object without a prototype, a
      // getter that throws or a symbol (a function node can make them) breaks it. That is a refusal too.
      return { ok: false, problems: ['value: is not plain JSON data (an object, array, string, number, true/false or null)'] };
    }
    if (valid) return { ok: true, value: value as T };
    return { ok: false, problems: describeErrors(this.fn.errors ?? []) };
  }

  /**
   * ajv's own errors for the value: [] when it is valid, undefined when it is not plain JSON data (see
   * check). For a caller that words and places problems its own way (lib/http-ivr names XML elements).
   */
  errorsOf(value: unknown): readonly ErrorObject[] | undefined {
    const fn = this.fn;
    try {
      return fn(value) ? [] : (fn.errors ?? []);
    } catch {
      return undefined;
    }
  }

  /**
   * A node's settings as this schema types them (see fromForm), checked.
   * The editor reads its forms the same way before it validates them.
   */
  checkForm(values: Record<string, unknown>): Check<T> {
    return this.check(fromForm(this.schema, values));
  }

  /** The value, typed, or a ValidationError naming every problem. */
  assert(value: unknown, what = this.name): T {
    const r = this.check(value);
    if (!r.ok) throw new ValidationError(what, r.problems);
    return r.value;
  }
}

/**
 * A value as a problem quotes it: JSON (so quotes, newlines and control
 * characters are escaped and a log line stays one line), with DEL and the C1
 * controls (which JSON leaves as they are) escaped as well, the Unicode
 * line separators and bidirectional controls escaped too (they would
 * reorder or split what a reader sees), and < > as \u003c \u003e (Node-RED
 * shows a form's problems as HTML in its config nodes sidebar: the value
 * stays text there, and reads the same), cut to `max` characters (saying
 * how long it was). The build copies this function into the editor plugin
 * (see describeErrors), so it uses nothing else of this module.
 */
export function shownValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  text = text.replace(/[<>\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length <= max ? text : `${text.slice(0, max - 20)}... (${text.length} characters)`;
}

/**
 * Turns ajv's errors into sentences a user can act on. The editor plugin
 * runs this same function (the build copies its compiled text, with
 * shownValue, into nodes/editor), so a form says what the runtime says.
 */
export function describeErrors(errors: readonly ErrorObject[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    // "if/then" failures repeat what the inner errors already say.
    if (e.keyword === 'if') continue;
    const field = e.instancePath
      ? e.instancePath
          .slice(1)
          .split('/')
          .map((segment) => shownKey(segment.replace(/~1/g, '/').replace(/~0/g, '~')))
          .join('.')
      : '';
    const described = (e.parentSchema as { description?: string } | undefined)?.description;
    let text: string;
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      out.push(`${field ? `${field}.` : ''}${missing}: is required`);
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      out.push(`${field ? `${field}.` : ''}${shownKey(extra)}: is not a known setting`);
      continue;
    }
    if (described && ['pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'enum', 'type', 'minItems', 'maxItems', 'format', 'const', 'not', 'uniqueItems'].includes(e.keyword)) {
      text = `${described} (got ${shownValue(e.data)})`;
    } else {
      text = `${e.message ?? 'is not valid'}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${shownValue(e.data)})` : ''}`;
    }
    const line = `${field || 'value'}: ${text}`;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** A property name as a problem names it: plain when it is a plain name, else quoted like a value. */
export function shownKey(key: string): string {
  return /^[A-Za-z0-9_$.-]{1,64}$/.test(key) ? key : shownValue(key);
}

/**
 * A JSON-schema pattern for a text of entries separated by spaces, commas or new lines (an allowlist), each of
 * the shape `entry` (a pattern without anchors). Written so that V8 takes linear time on any text: an entry
 * must end where a separator or the end follows (so it is matched one way only), and separators are read by
 * one repeat per place (a leading and a trailing [\s,]* around an optional list make V8 try every split of a
 * run of separators: quadratic, bench/patterns).
 */
export function separatedListPattern(entry: string): string {
  return `^(?:[\\s,]*(?:${entry})(?=[\\s,]|$))*[\\s,]*$`;
}

interface PropertySchema {
  type?: string | string[];
  default?: unknown;
  items?: PropertySchema;
  properties?: Record<string, PropertySchema>;
}

function coerce(prop: PropertySchema, value: unknown): unknown {
  const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
  if (typeof value === 'string') {
    const text = value.trim();
    if ((type === 'integer' || type === 'number') && text !== '' && !Number.isNaN(Number(text))) return Number(text);
    if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
    return type === 'string' ? text : value;
  }
  if (type === 'array' && Array.isArray(value) && prop.items) return value.map((v) => coerce(prop.items as PropertySchema, v));
  if (type === 'object' && value && typeof value === 'object' && !Array.isArray(value) && prop.properties) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, inner] of Object.entries(prop.properties)) {
      const v = out[key];
      // An empty form field means "not set" inside an object.
      if (v === '' && inner.type !== 'string') delete out[key];
      else if (v !== undefined) out[key] = coerce(inner, v);
    }
    return out;
  }
  return value;
}

/**
 * Reads a node's settings (or an editor form's values) into the shape a
 * schema checks: only the schema's own properties (a node's id, x, y, wires
 * are dropped), strings trimmed, numbers and booleans out of the strings an
 * editor form may hold, the schema's defaults for what is missing, and an
 * empty optional name left out.
 */
export function fromForm(schema: AnySchema, values: Record<string, unknown>): Record<string, unknown> {
  const properties = ((schema as { properties?: Record<string, PropertySchema> }).properties ?? {});
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(properties)) {
    const raw = values[key];
    if (raw === undefined || raw === null || (raw === '' && prop.type !== 'string')) {
      if (prop.default !== undefined) out[key] = structuredClone(prop.default);
      continue;
    }
    if (key === 'name' && raw === '') continue;
    out[key] = coerce(prop, raw);
  }
  return out;
}
