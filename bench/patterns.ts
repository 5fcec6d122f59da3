/**
 * bench/patterns: a ReDoS audit of the regular expressions that meet hostile
 * text, timed on crafted near-matches.
 *
 *  1. Every JSON-schema `pattern` in lib/schemas. ajv runs them with V8's
 *     backtracking RegExp on msg overrides, contact rows, stored documents
 *     and flow files, and (allErrors) even when maxLength already failed, so
 *     a pattern must be linear on any length.
 *  2. The functions of lib/ that run regular expressions on text from
 *     outside: log redaction, gray caller lists, callback host names, contact
 *     numbers, the connection URL, the simulator's caller ids and route table.
 *  3. The collect node's patterns (RE2, lib/ivr/pattern.ts): the worst
 *     pattern's match time on 64 keys, next to V8's on the same input.
 *
 * Inputs are pumped: samples that match (fast-check's stringMatching, or
 * given), with one of their substrings repeated to the wanted length and a
 * character that breaks the match after it: what makes a backtracking engine
 * try every way to split the repeats. Every candidate is timed at 2,000
 * characters; the slowest few at 20,000 and at --size (default 100,000).
 * A time that grows faster than the length (20k/2k above 30: quadratic is
 * about 100) is reported, and the script exits 1.
 *
 *   npm run bench:patterns   (or: node dist/bench/patterns.js [--size 100000])
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { normalizeAriUrl } from '../lib/ari/preflight';
import { checkCallbackUrl } from '../lib/campaign/callback';
import { normaliseNumber } from '../lib/campaign/contacts';
import { parseCommandSet } from '../lib/http-ivr/parse';
import { DigitPattern } from '../lib/ivr/pattern';
import { redact } from '../lib/log';
import { callerListed, parseCallers } from '../lib/releases/gray';
import * as asterisk from '../lib/schemas/asterisk';
import * as campaign from '../lib/schemas/campaign';
import * as dates from '../lib/schemas/dates';
import * as elements from '../lib/schemas/elements';
import * as httpIvr from '../lib/schemas/http-ivr';
import * as releases from '../lib/schemas/releases';
import * as routing from '../lib/schemas/routing';
import * as store from '../lib/schemas/store';
import * as storeConfig from '../lib/schemas/store-config';
import { Validator } from '../lib/schemas/validator';
import { ariRoutes } from '../lib/sim/routes';
import { SimulatedAsterisk, parseCallerId } from '../lib/sim/asterisk';
import { Router } from '../lib/sim/route';
import { flag } from './support';

const SCREEN = 2_000;
const CONFIRM = 20_000;
const SIZE = Number(flag('--size') ?? 100_000);
/** 20k/2k time ratio above which a time grows faster than the length (linear: about 10; quadratic: about 100). */
const SUPERLINEAR = 30;
/** Characters that end a near-match: what most patterns refuse. */
const BREAKERS = ['', '!', '\n', '\u0000', ' ', '\u00e9'];

export interface Subject {
  /** What runs: a schema pattern (and where it is) or a function of lib/. */
  name: string;
  where: string[];
  run: (input: string) => unknown;
  samples: string[];
  /** Longer substrings worth repeating: the pattern's literal runs ("{number}"), or given. */
  pumps: string[];
}

/** The runs of literal characters of a pattern, outside classes: "{number}" in "^[^\\s]*\\{number\\}[^\\s]*$". */
function literalRuns(pattern: string): string[] {
  const runs: string[] = [];
  let run = '';
  const end = (): void => {
    if (run.length >= 2) runs.push(run);
    run = '';
  };
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i] ?? '';
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i += 1;
      if (/[A-Za-z0-9]/.test(next)) end();
      else run += next;
    } else if (c === '[') {
      end();
      for (i += 1; i < pattern.length && pattern[i] !== ']'; i += 1) if (pattern[i] === '\\') i += 1;
    } else if ('()|?*+{}^$.'.includes(c)) {
      // A quantifier binds the last character: it is not part of the run.
      if ('?*+{'.includes(c)) run = run.slice(0, -1);
      end();
    } else {
      run += c;
    }
  }
  end();
  return runs;
}

// ------------------------------------------------------------------ subjects

/** Every `pattern` (and propertyNames pattern) under a JSON schema, with its path. */
function schemaPatterns(schema: unknown, path: string, out: Map<string, Set<string>>): void {
  if (Array.isArray(schema)) {
    schema.forEach((s, i) => schemaPatterns(s, `${path}/${i}`, out));
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  const node = schema as Record<string, unknown>;
  if (typeof node.pattern === 'string') {
    const set = out.get(node.pattern) ?? new Set<string>();
    set.add(path || '/');
    out.set(node.pattern, set);
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'default' || key === 'enum' || key === 'const' || key === 'pattern') continue;
    schemaPatterns(value, `${path}/${key}`, out);
  }
}

/** The pattern with its (?=...), (?!...), (?<=...) and (?<!...) groups left out. */
function withoutLookarounds(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const rest = pattern.slice(i, i + 4);
    if (rest.startsWith('(?=') || rest.startsWith('(?!') || rest === '(?<=' || rest === '(?<!') {
      let depth = 0;
      let inClass = false;
      for (; i < pattern.length; i += 1) {
        const c = pattern[i];
        if (c === '\\') i += 1;
        else if (inClass) inClass = c !== ']';
        else if (c === '[') inClass = true;
        else if (c === '(') depth += 1;
        else if (c === ')' && --depth === 0) break;
      }
      continue;
    }
    out += pattern[i] ?? '';
    if (pattern[i] === '\\') out += pattern[(i += 1)] ?? '';
  }
  return out;
}

export function schemaSubjects(): Subject[] {
  const found = new Map<string, Set<string>>();
  for (const mod of [asterisk, campaign, dates, elements, httpIvr, releases, routing, store, storeConfig]) {
    for (const [name, value] of Object.entries(mod)) {
      if (value instanceof Validator) schemaPatterns(value.schema, value.name, found);
      else if (value && typeof value === 'object' && !Array.isArray(value)) schemaPatterns(value, name, found);
    }
  }
  return [...found].map(([pattern, where]) => {
    // As ajv compiles it (unicode: true).
    const re = new RegExp(pattern, 'u');
    let samples: string[] = [];
    try {
      // fast-check cannot generate for lookarounds: samples of the pattern without them fit its body.
      samples = fc.sample(fc.stringMatching(new RegExp(withoutLookarounds(pattern), 'u'), { size: 'small' }), { numRuns: 12, seed: 42 });
    } catch {
      samples = [];
    }
    // Whole entries of a list (the text between separators), each with a separator: an entry two branches of
    // the pattern can match makes a list of n of them cost 2^n tries, which 1-4 character pumps never build.
    const entries = [...new Set(samples.flatMap((x) => x.split(/[\s,]+/)).filter((t) => t.length >= 2 && t.length <= 24))].slice(0, 6).map((t) => `${t} `);
    return { name: `pattern ${pattern}`, where: [...where].sort(), run: (s: string) => re.test(s), samples: [...new Set(samples)].slice(0, 8), pumps: [...literalRuns(pattern), ...entries] };
  });
}

export function functionSubjects(): Subject[] {
  const router = new Router(ariRoutes(new SimulatedAsterisk()));
  return [
    {
      name: 'redact() of every log line',
      where: ['lib/log.ts'],
      run: (s) => redact(s, ['secret']),
      samples: ['connect http://user:pass@pbx:8088/ari?api_key=a:b failed', '//a:b@//c:d@ x api_key=1&api_key=2'],
      pumps: ['api_key=', '//a:', 'a:b@'],
    },
    {
      name: 'parseCallers() and callerListed() of gray caller lists',
      where: ['lib/releases/gray.ts'],
      run: (s) => callerListed('+4930123', parseCallers(s)),
      samples: ['+4930*, 5551234; 555 ,,; *', '1 2 3'],
      pumps: [', ', '1*,'],
    },
    {
      name: 'checkCallbackUrl() (host names, allowlists)',
      where: ['lib/campaign/callback.ts'],
      run: (s) => checkCallbackUrl(`https://${s}/hook`, ['*.example.com', s]),
      samples: ['crm-1.eu-west.example.com', 'a-b.c_d.example.com.', '10.0.0.1'],
      pumps: ['a-', 'a.', '-a.', '::', '1.'],
    },
    {
      name: 'normaliseNumber() of contact rows',
      where: ['lib/campaign/contacts.ts'],
      run: (s) => normaliseNumber(s),
      samples: ['+86 (138) 0000-0000', '0049.30.123'],
      pumps: ['( ', '-.'],
    },
    {
      name: 'normalizeAriUrl() of a connection URL',
      where: ['lib/ari/preflight.ts'],
      run: (s) => {
        try {
          return normalizeAriUrl(s);
        } catch {
          return undefined;
        }
      },
      samples: ['http://pbx:8088/ari/', 'http://pbx:8088/x//'],
      pumps: ['/', '/ari'],
    },
    {
      name: 'parseCommandSet() of HTTP IVR answers: XML attributes read as numbers, TwiML numbers and URLs',
      where: ['lib/http-ivr/xml.ts', 'lib/http-ivr/twiml.ts', 'lib/http-ivr/parse.ts'],
      run: (s) => {
        const text = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
        for (const [type, body, mode] of [
          ['text/xml', `<Response><Pause seconds="${text}"/></Response>`, 'callflow'],
          ['text/xml', `<Response><Set><Var name="n" type="number">${text}</Var></Set></Response>`, 'callflow'],
          ['text/xml', `<Response><Gather timeout="${text}"/><Dial callerId="${text}">${text}</Dial><Redirect>${text}</Redirect></Response>`, 'twiml'],
          ['application/json', `{"main":{"command":"pause","seconds":1},"jump":{"url":${JSON.stringify(s)}}}`, 'callflow'],
        ] as const) {
          try {
            parseCommandSet(type, body, mode);
          } catch {
            // Refusals are the point: how long they take is what is measured.
          }
        }
      },
      samples: ['1.5', '2e3', '+1 (415) 123-4567', 'https://app.example.com/next?x=1'],
      pumps: ['1', '1.', ' ', '(1', '/'],
    },
    {
      name: "parseCallerId() of the simulator (an originate's callerId)",
      where: ['lib/sim/asterisk.ts'],
      run: (s) => parseCallerId(s),
      samples: ['"Bob" <100>', ' Bob  <+4930123> '],
      pumps: [' ', '" ', '<'],
    },
    {
      name: "Router.match() of the simulator's route table",
      where: ['lib/sim/route.ts'],
      run: (s) => router.match('GET', s),
      samples: ['/channels/abc.1/variable', '/sim/sounds/en/digits/1', '/recordings/stored/a/file', '/bridges/b-1/addChannel'],
      pumps: ['/', 'a/', '/sim/sounds/', '%2F'],
    },
  ];
}

// ------------------------------------------------------------------ inputs

/**
 * A sample with one of its substrings (1 to 4 characters, or one of the
 * subject's pumps where it occurs, or at the start and the end) repeated to
 * about `size` characters, then a breaker.
 */
export function* pumped(subject: Subject, size: number): Generator<{ shape: string; input: string }> {
  const seen = new Set<string>();
  function* make(before: string, pump: string, after: string): Generator<{ shape: string; input: string }> {
    for (const breaker of BREAKERS) {
      const shape = `${JSON.stringify(before)} + ${JSON.stringify(pump)} x N + ${JSON.stringify(after + breaker)}`;
      if (seen.has(shape) || pump === '') continue;
      seen.add(shape);
      yield { shape, input: before + pump.repeat(Math.ceil(size / pump.length)) + after + breaker };
    }
  }
  for (const sample of subject.samples.length > 0 ? subject.samples : ['a', '0', ' ']) {
    for (let at = 0; at <= sample.length; at += 1) {
      for (let len = 1; len <= 4 && at + len <= sample.length; len += 1) yield* make(sample.slice(0, at), sample.slice(at, at + len), sample.slice(at + len));
      for (const pump of subject.pumps) {
        if (sample.startsWith(pump, at)) yield* make(sample.slice(0, at), pump, sample.slice(at + pump.length));
        else if (at === 0 || at === sample.length) yield* make(sample.slice(0, at), pump, sample.slice(at));
      }
    }
  }
}

/** The best of `runs` times of run(input), in ms. */
function timed(run: (input: string) => unknown, input: string, runs = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    run(input);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

interface Finding {
  subject: Subject;
  shape: string;
  screen: number;
  confirm: number;
  full?: number;
  superlinear: boolean;
}

function audit(subject: Subject): Finding {
  // Screen every candidate at 2k; keep the three slowest.
  const slowest: { shape: string; screen: number }[] = [];
  for (const { shape, input } of pumped(subject, SCREEN)) {
    const t = timed(subject.run, input, 1);
    slowest.push({ shape, screen: t });
    slowest.sort((a, b) => b.screen - a.screen);
    slowest.length = Math.min(slowest.length, 3);
  }
  let worst: Finding | undefined;
  for (const candidate of slowest) {
    const at = (size: number): string => {
      for (const p of pumped(subject, size)) if (p.shape === candidate.shape) return p.input;
      throw new Error(`no input ${candidate.shape}`);
    };
    const screen = timed(subject.run, at(SCREEN));
    const confirm = timed(subject.run, at(CONFIRM));
    const superlinear = confirm / Math.max(screen, 0.005) > SUPERLINEAR && confirm > 1;
    const finding: Finding = { subject, shape: candidate.shape, screen, confirm, superlinear };
    // A quadratic time at SIZE would take (SIZE/CONFIRM)^2 times longer: measured only when that stays under 20 s.
    if (!superlinear || confirm * (SIZE / CONFIRM) ** 2 < 20_000) finding.full = timed(subject.run, at(SIZE), 1);
    if (!worst || finding.superlinear > worst.superlinear || (finding.superlinear === worst.superlinear && finding.confirm > worst.confirm)) worst = finding;
  }
  return worst ?? { subject, shape: '(no input)', screen: 0, confirm: 0, superlinear: false };
}

// ------------------------------------------------------------------ collect patterns

function digitPatterns(): void {
  // The worst a caller can do: 63 keys then one that breaks the match, against the patterns that ruin V8.
  const keys = `${'1'.repeat(63)}*`;
  console.log('\ncollect patterns (RE2, 64 keys: 63 digits then *)');
  for (const p of ['(\\d+)+', '(\\d|\\d)+', '(\\d*)*\\d', '(?:\\d{1,8}){1,8}', '\\d{1,64}', '(?:1|11|111)*2']) {
    const re2 = DigitPattern.compile(p);
    const t = timed((s) => re2.matches(s), keys, 5);
    // V8 on (\d+)+ and friends takes minutes to centuries: it is timed on 20 keys and said so.
    const v8 = new RegExp(`^(?:${p})$`);
    const short = `${'1'.repeat(19)}*`;
    const tv8 = timed((s) => v8.test(s), short, 1);
    console.log(`  ${p.padEnd(22)} RE2 ${t.toFixed(3).padStart(8)} ms on 64 keys   (V8: ${tv8.toFixed(3)} ms on 20 keys)`);
  }
}

// ------------------------------------------------------------------ report

function main(): void {
  const subjects = [...schemaSubjects(), ...functionSubjects()];
  console.log(`bench/patterns: ${subjects.length} subjects; each pumped input timed at ${SCREEN}, ${CONFIRM} and ${SIZE} characters (worst input shown)\n`);
  const findings: Finding[] = [];
  for (const subject of subjects) {
    const f = audit(subject);
    findings.push(f);
    const full = f.full === undefined ? 'not run' : `${f.full.toFixed(2)} ms`;
    console.log(
      `${f.superlinear ? 'SUPERLINEAR' : 'linear     '}  ${f.screen.toFixed(3).padStart(8)} / ${f.confirm.toFixed(3).padStart(9)} / ${full.padStart(10)}  ${subject.name.slice(0, 110)}`,
    );
    console.log(`             in ${subject.where.join(', ').slice(0, 160)}`);
    console.log(`             worst input: ${f.shape.slice(0, 150)}`);
  }
  digitPatterns();
  const bad = findings.filter((f) => f.superlinear);
  console.log(`\n${findings.length} subjects audited; ${bad.length} grow faster than the input${bad.length > 0 ? `:\n  ${bad.map((f) => f.subject.name).join('\n  ')}` : ''}`);
  if (bad.length > 0) process.exitCode = 1;
}

// test/schemas/patterns.test.ts runs the same inputs, short, as a guard against a catastrophic pattern.
if (require.main === module) main();
