/**
 * The shape of one ARI operation in the simulator's route table. The same
 * entry drives request handling (matching, parameter parsing and checking)
 * and the Swagger resource documents ari-client reads, so what the
 * simulator describes and what it serves cannot drift apart.
 */
import { MAX_LIST_VALUES, separateArgs } from './asterisk-parsing';
import type { ResourceName } from './models';

export type ParamKind = 'string' | 'int' | 'long' | 'boolean' | 'containers' | 'object';

export interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'body';
  type: ParamKind;
  description: string;
  required?: boolean;
  multiple?: boolean;
  default?: string | number | boolean;
  values?: readonly string[];
  min?: number;
  /**
   * Asterisk's generated glue (res/res_ari_*.c) applies no documented default and checks no documented range: the
   * operation reads the parameter and answers with its own message (skipms < 0: "skipms cannot be negative"; mute
   * without direction: "Direction is required"). Such a parameter's `default` and `min` are only published.
   */
  checkedByOperation?: true;
}

export interface ErrorSpec {
  code: number;
  reason: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  resource: ResourceName;
  method: HttpMethod;
  /** Swagger path template, e.g. "/channels/{channelId}/play/{playbackId}". */
  path: string;
  nickname: string;
  summary: string;
  responseClass: string;
  params?: ParamSpec[];
  errors?: ErrorSpec[];
  /** The events WebSocket: served by the upgrade handler, not by `handle`. */
  websocket?: true;
  handle?: (args: Args, ctx: RequestContext) => unknown;
}

export interface RequestContext {
  /** The ARI user that made the request. */
  user: string;
}

/** An error the simulator answers with, as Asterisk does: a status and {"message": ...}. */
export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The keys of T whose values are of type V (for copying parameters onto a typed object). */
type KeysOf<T, V> = { [K in keyof T]-?: NonNullable<T[K]> extends V ? K : never }[keyof T] & string;

/** Parsed, checked parameters of one request. */
export class Args {
  constructor(private readonly values: Map<string, unknown>) {}

  has(name: string): boolean {
    return this.values.get(name) !== undefined;
  }
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : text(v);
  }
  /** A string parameter the route declares required (the checker already refused requests without it). */
  req(name: string): string {
    const v = this.str(name);
    if (v === undefined) throw new AriHttpError(400, `Missing parameter ${name}`);
    return v;
  }
  int(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }
  /** A list parameter's values, trimmed, empty ones left out. */
  list(name: string): string[] {
    return this.rawList(name)
      .map((x) => x.trim())
      .filter((x) => x.length > 0);
  }
  /** A list parameter's values as the glue split them: not trimmed, empty ones kept (play refuses an empty medium). */
  rawList(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [text(v)];
  }
  /** Sets each named string parameter the request has on `target` (under the same name); returns target. */
  strings<T extends object>(target: T, names: readonly KeysOf<T, string>[]): T {
    for (const name of names) {
      const v = this.str(name);
      if (v !== undefined) (target as Record<string, unknown>)[name] = v;
    }
    return target;
  }
  /** Sets each named integer parameter the request has on `target`; returns target. */
  ints<T extends object>(target: T, names: readonly KeysOf<T, number>[]): T {
    for (const name of names) {
      const v = this.int(name);
      if (v !== undefined) (target as Record<string, unknown>)[name] = v;
    }
    return target;
  }
  obj(name: string): Record<string, unknown> | undefined {
    const v = this.values.get(name);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  }
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** Compiles a path template into a matcher. Literal segments win over templated ones (see Router). */
export function compilePath(template: string): { regex: RegExp; names: string[]; literalSegments: number } {
  const names: string[] = [];
  let literalSegments = 0;
  const pattern = template
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)(\.\.\.)?\}$/.exec(segment);
      if (m?.[1]) {
        names.push(m[1]);
        // {name...} takes the rest of the path (sound ids hold slashes).
        return m[2] ? '(.+)' : '([^/]+)';
      }
      if (segment) literalSegments += 1;
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${pattern}$`), names, literalSegments };
}

interface Compiled {
  spec: RouteSpec;
  regex: RegExp;
  names: string[];
  literalSegments: number;
}

export type RouteMatch =
  | { kind: 'found'; spec: RouteSpec; pathParams: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

export class Router {
  private readonly routes: Compiled[];

  constructor(readonly specs: readonly RouteSpec[]) {
    this.routes = specs
      .map((spec) => ({ spec, ...compilePath(spec.path) }))
      // "/channels/create" must be tried before "/channels/{channelId}".
      .sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(method: string, path: string): RouteMatch {
    const allowed: HttpMethod[] = [];
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.spec.method !== method) {
        if (!allowed.includes(route.spec.method)) allowed.push(route.spec.method);
        continue;
      }
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { kind: 'found', spec: route.spec, pathParams };
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

/**
 * Reads a request's parameters the way Asterisk does: from the path, the
 * query string, and (for parameters not in the query) the fields of a JSON
 * body; comma-separated values for allowMultiple parameters. Unlike
 * Asterisk, which reads a malformed number as 0, the simulator refuses
 * malformed integers and booleans with 400, so that client bugs show in tests.
 */
export function parseArgs(
  spec: RouteSpec,
  pathParams: Record<string, string>,
  query: URLSearchParams,
  body: unknown,
): Args {
  const values = new Map<string, unknown>();
  const bodyFields = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  for (const p of spec.params ?? []) {
    let raw: unknown;
    if (p.in === 'path') raw = pathParams[p.name];
    else if (p.in === 'query') raw = query.has(p.name) ? query.getAll(p.name).join(',') : bodyFields[p.name];
    else raw = bodyFields[p.name];

    if (raw === undefined || raw === '') {
      // Like Asterisk's generated glue, required parameters are checked by each operation, with its own message.
      if (p.default !== undefined && !p.checkedByOperation) values.set(p.name, p.default);
      continue;
    }
    values.set(p.name, convert(p, raw));
  }
  return new Args(values);
}

function convert(p: ParamSpec, raw: unknown): unknown {
  switch (p.type) {
    case 'containers':
    case 'object':
      if (typeof raw !== 'object' || raw === null) throw new AriHttpError(400, `${p.name} must be a JSON object`);
      return raw;
    case 'boolean': {
      const s = String(raw).toLowerCase();
      if (['true', 'yes', 'y', 't', '1', 'on'].includes(s)) return true;
      if (['false', 'no', 'n', 'f', '0', 'off'].includes(s)) return false;
      throw new AriHttpError(400, `${p.name} must be true or false, got "${String(raw)}"`);
    }
    case 'int':
    case 'long': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(n)) throw new AriHttpError(400, `${p.name} must be an integer, got "${String(raw)}"`);
      if (p.min !== undefined && !p.checkedByOperation && n < p.min) throw new AriHttpError(400, `${p.name} must be at least ${p.min}`);
      return n;
    }
    case 'string': {
      // Allowable values are checked by the operations, with Asterisk's messages (e.g. "terminateOn invalid").
      const s = String(raw);
      if (!p.multiple) return s;
      const list = separateArgs(s);
      if (list.length >= MAX_LIST_VALUES) throw new AriHttpError(400, `Too many values for ${p.name}`);
      return list;
    }
  }
}
