/**
 * The simulator's scripting endpoints, outside /ari: place calls, define
 * how numbers behave, read back what calls heard and pressed, inject
 * faults. JSON in and out; documented in docs/simulator.md.
 */
import { AriHttpError } from './route';
import { WAIT_CONDITIONS, type InboundCallOptions, type NumberBehaviour, type ScriptStep } from './script';
import type { Simulator } from './server';

export interface ControlRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  status?: number;
  handle(req: { params: Record<string, string>; query: URLSearchParams; body: unknown }): unknown;
}

const OUTCOMES = ['answer', 'busy', 'no-answer', 'unallocated', 'rejected', 'congestion', 'unavailable', 'unreachable'];

function object(body: unknown, what: string): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AriHttpError(400, `${what}: the body must be a JSON object`);
  return body as Record<string, unknown>;
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new AriHttpError(400, `"${key}" must be a string`);
  return String(v);
}

function nonNegative(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0)) throw new AriHttpError(400, `"${key}" must be a number >= 0`);
  return v;
}

/** Checks a script from JSON, naming the first bad step. */
export function readScript(value: unknown): ScriptStep[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new AriHttpError(400, '"script" must be an array of steps');
  return value.map((raw, i): ScriptStep => {
    const step = object(raw, `script step ${i}`);
    const bad = (why: string): never => {
      throw new AriHttpError(400, `script step ${i} (${JSON.stringify(raw)}): ${why}`);
    };
    if ('wait' in step) return { wait: nonNegative(step, 'wait') ?? bad('"wait" must be a number of ms') };
    if ('waitFor' in step) {
      const what = WAIT_CONDITIONS.find((c) => c === step.waitFor);
      if (!what) return bad(`"waitFor" must be ${WAIT_CONDITIONS.slice(0, -1).join(', ')} or ${WAIT_CONDITIONS[WAIT_CONDITIONS.length - 1]}`);
      const out: ScriptStep = { waitFor: what };
      const media = optionalString(step, 'media');
      if (media !== undefined) out.media = media;
      const timeout = nonNegative(step, 'timeout');
      if (timeout !== undefined) out.timeout = timeout;
      return out;
    }
    if ('dtmf' in step) {
      const digits = optionalString(step, 'dtmf') ?? '';
      if (!/^[0-9A-Da-d#*]+$/.test(digits)) return bad('"dtmf" must be digits 0-9, A-D, * or #');
      const out: ScriptStep = { dtmf: digits };
      const gap = nonNegative(step, 'gap');
      if (gap !== undefined) out.gap = gap;
      const duration = nonNegative(step, 'duration');
      if (duration !== undefined) out.duration = duration;
      return out;
    }
    if ('talk' in step) return { talk: nonNegative(step, 'talk') ?? bad('"talk" must be a number of ms') };
    if ('say' in step) {
      // A WAV path is for the JS API only: over HTTP it would let a client read the simulator host's files.
      const ms = typeof step.say === 'object' && step.say !== null ? (step.say as Record<string, unknown>).ms : step.say;
      if (typeof ms !== 'number' || !(ms >= 0 && ms <= 600_000)) return bad('"say" must be a number of ms (0-600000); WAV files only through the JS API');
      return { say: ms };
    }
    if ('machine' in step) {
      const m = object(step.machine, `script step ${i} machine`);
      const greeting = nonNegative(m, 'greeting');
      if (greeting === undefined || greeting > 120) return bad('"machine.greeting" must be a number of seconds (0-120)');
      const out: { greeting: number; beep?: boolean; beepHz?: number; beepMs?: number } = { greeting };
      if (m.beep !== undefined) out.beep = m.beep === true;
      const hz = nonNegative(m, 'beepHz');
      if (hz !== undefined) out.beepHz = Math.min(hz, 3900);
      const beepMs = nonNegative(m, 'beepMs');
      if (beepMs !== undefined) out.beepMs = Math.min(beepMs, 10_000);
      return { machine: out };
    }
    if ('noise' in step) {
      const ms = nonNegative(step, 'noise');
      if (ms === undefined || ms > 600_000) return bad('"noise" must be a number of ms (0-600000)');
      const level = nonNegative(step, 'level');
      return level === undefined ? { noise: ms } : { noise: ms, level: Math.min(level, 16000) };
    }
    if ('hangup' in step) {
      const out: ScriptStep = { hangup: true };
      const cause = nonNegative(step, 'cause');
      if (cause !== undefined) out.cause = cause;
      return out;
    }
    return bad('unknown step; use wait, waitFor, dtmf, talk, say, machine, noise or hangup');
  });
}

export function readBehaviour(value: unknown): NumberBehaviour {
  const o = object(value, 'number behaviour');
  const outcome = o.outcome;
  if (typeof outcome !== 'string' || !OUTCOMES.includes(outcome)) {
    throw new AriHttpError(400, `"outcome" must be one of ${OUTCOMES.join(', ')}`);
  }
  const b: NumberBehaviour = { outcome: outcome as NumberBehaviour['outcome'] };
  const ringMs = nonNegative(o, 'ringMs');
  if (ringMs !== undefined) b.ringMs = ringMs;
  const sip = nonNegative(o, 'sipCode');
  if (sip !== undefined) {
    if (sip < 400 || sip > 699) throw new AriHttpError(400, '"sipCode" must be a SIP failure response, 400-699');
    b.sipCode = sip;
  }
  if (o.script !== undefined) b.script = readScript(o.script);
  return b;
}

export function readInboundCall(value: unknown): InboundCallOptions {
  const o = object(value, 'call');
  const from = optionalString(o, 'from');
  const to = optionalString(o, 'to');
  if (!from || !to) throw new AriHttpError(400, 'a call needs "from" (caller number) and "to" (dialed number)');
  const call: InboundCallOptions = { from, to };
  const callerName = optionalString(o, 'callerName');
  if (callerName !== undefined) call.callerName = callerName;
  const app = optionalString(o, 'app');
  if (app !== undefined) call.app = app;
  const endpoint = optionalString(o, 'endpoint');
  if (endpoint !== undefined) call.endpoint = endpoint;
  const language = optionalString(o, 'language');
  if (language !== undefined) call.language = language;
  if (o.args !== undefined) {
    if (!Array.isArray(o.args) || o.args.some((a) => typeof a !== 'string')) throw new AriHttpError(400, '"args" must be an array of strings');
    call.args = o.args as string[];
  }
  if (o.script !== undefined) call.script = readScript(o.script);
  for (const key of ['variables', 'headers'] as const) {
    if (o[key] === undefined) continue;
    const map = object(o[key], key);
    if (Object.values(map).some((v) => typeof v !== 'string')) throw new AriHttpError(400, `"${key}" must map names to strings`);
    call[key] = map as Record<string, string>;
  }
  return call;
}

export function controlRoutes(sim: Simulator): ControlRoute[] {
  const ast = sim.asterisk;
  return [
    {
      method: 'GET',
      path: '/sim/status',
      handle: () => ({
        url: sim.url,
        speed: ast.clock.speed,
        apps: ast.activeApps(),
        defaultApp: ast.defaultApp,
        activeCalls: ast.reportList({ active: true }).length,
        startupTime: ast.startupTime.toISOString(),
      }),
    },
    {
      method: 'POST',
      path: '/sim/calls',
      status: 201,
      handle: ({ body }) => sim.placeCall(readInboundCall(body)).report(),
    },
    {
      method: 'GET',
      path: '/sim/calls',
      handle: ({ query }) => {
        const state = query.get('state');
        return ast.reportList(state === 'active' ? { active: true } : state === 'ended' ? { active: false } : {});
      },
    },
    {
      method: 'GET',
      path: '/sim/calls/{id}',
      handle: ({ params }) => {
        const r = ast.report(params.id ?? '');
        if (!r) throw new AriHttpError(404, `no call ${params.id}`);
        return r;
      },
    },
    {
      // Long poll: answers when the call has ended, or after timeoutMs (real ms, default 30000) with the report so far.
      method: 'GET',
      path: '/sim/calls/{id}/ended',
      handle: async ({ params, query }) => {
        const id = params.id ?? '';
        const timeoutMs = Math.min(Number(query.get('timeoutMs') ?? 30000) || 30000, 600000);
        try {
          return await ast.waitForEnd(id, AbortSignal.timeout(timeoutMs));
        } catch (err) {
          if (err instanceof AriHttpError) throw err;
          return ast.report(id);
        }
      },
    },
    {
      method: 'POST',
      path: '/sim/calls/{id}/dtmf',
      handle: async ({ params, body }) => {
        const digits = optionalString(object(body, 'dtmf'), 'digits') ?? '';
        if (!/^[0-9A-Da-d#*]+$/.test(digits)) throw new AriHttpError(400, '"digits" must be DTMF digits');
        await ast.pressDigits(params.id ?? '', digits);
        return undefined;
      },
    },
    {
      method: 'POST',
      path: '/sim/calls/{id}/hangup',
      handle: ({ params, body }) => {
        const cause = body === undefined ? undefined : nonNegative(object(body, 'hangup'), 'cause');
        ast.remoteHangup(params.id ?? '', cause ?? 16);
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/sim/numbers',
      handle: () => Object.fromEntries(ast.numbers),
    },
    {
      method: 'PUT',
      path: '/sim/numbers/{number}',
      handle: ({ params, body }) => {
        const b = readBehaviour(body);
        ast.numbers.set(params.number ?? '', b);
        return b;
      },
    },
    {
      method: 'DELETE',
      path: '/sim/numbers/{number}',
      handle: ({ params }) => {
        ast.numbers.delete(params.number ?? '');
        return undefined;
      },
    },
    {
      method: 'PUT',
      path: '/sim/sounds/{id...}',
      handle: ({ params, body }) => {
        const o = object(body, 'sound');
        const durationMs = nonNegative(o, 'durationMs');
        if (durationMs === undefined) throw new AriHttpError(400, '"durationMs" is required');
        const opts: { text?: string; language?: string } = {};
        const text = optionalString(o, 'text');
        if (text !== undefined) opts.text = text;
        const language = optionalString(o, 'language');
        if (language !== undefined) opts.language = language;
        ast.sounds.define(params.id ?? '', durationMs, opts);
        return ast.sounds.get(params.id ?? '');
      },
    },
    {
      method: 'PUT',
      path: '/sim/media',
      handle: ({ body }) => {
        const o = object(body, 'media');
        const uri = optionalString(o, 'uri');
        const durationMs = nonNegative(o, 'durationMs');
        if (!uri || !/^https?:\/\//.test(uri) || durationMs === undefined) throw new AriHttpError(400, 'media needs "uri" (http or https) and "durationMs"');
        ast.media.urls.set(uri, durationMs);
        return { uri, durationMs };
      },
    },
    {
      method: 'PUT',
      path: '/sim/speed',
      handle: ({ body }) => {
        const speed = nonNegative(object(body, 'speed'), 'speed');
        if (!speed) throw new AriHttpError(400, '"speed" must be a number > 0');
        ast.clock.speed = speed;
        return { speed };
      },
    },
    {
      method: 'POST',
      path: '/sim/faults/drop-websockets',
      handle: () => {
        sim.dropWebSockets();
        return undefined;
      },
    },
    {
      method: 'POST',
      path: '/sim/faults/restart',
      handle: ({ body }) => {
        const downMs = body === undefined ? 0 : (nonNegative(object(body, 'restart'), 'downMs') ?? 0);
        // Answer first: the restart cuts this very connection.
        setImmediate(() => void sim.restart(downMs));
        return { restarting: true, downMs };
      },
    },
  ];
}
