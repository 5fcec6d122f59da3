/**
 * What an attacker (a caller, a contact list, an HTTP response, a flow file)
 * puts in a value, as fast-check arbitraries: injection fragments for dial
 * strings, media URIs, HTML and CSV, control characters, odd Unicode, very
 * long text, prototype keys, and any JSON at all.
 *
 * Each fuzz file runs a fixed number of cases with a fresh seed; a failure
 * prints the seed and the shrunk counterexample (replay it with
 * FUZZ_SEED=<seed>). FUZZ_RUNS scales the number of cases (default 1).
 */
import fc from 'fast-check';

/** Fragments that mean something to Asterisk, a shell, a browser, a spreadsheet or JavaScript. */
export const FRAGMENTS = [
  '&', '/', '@', ',', '(', ')', '|', ';', '^', '"', "'", '`', '\\', '..', '../', '/etc/passwd',
  'sip:+19005550100@evil.example.com', 'sips:x@y', 'tel:+1900', 'PJSIP/200', 'Local/s@default', '&PJSIP/200',
  '${SHELL(id)}', '$[1+1]', '${EXEC}', '${CALLERID(num)}',
  '<img src=x onerror=window.__xss=1>', '"><svg onload=alert(1)>', '</script>', '{{7*7}}',
  '=cmd|\' /C calc\'!A0', '+1', '-1', '@SUM(A1)', '\t', '\r', '\n', '\r\n', '\u0000', '\u0007', '\u001b[31m',
  '\ufffd', '\u202e', '\ufeff', '\ud800', '😀', 'é', '中文',
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  'http://127.0.0.1:8088/ari', 'http://169.254.169.254/latest/meta-data', 'https://[::1]/', 'http://localhost/',
  'sound:../../../../etc/passwd', 'recording:../x', 'tone:ring;tonezone=..', '(\\d+)+', '.*.*.*.*=', '(a|a)*',
  '2024-02-30', '2023-02-29', '24:00', '99:99', '-0', 'NaN', 'Infinity', '1e309', '0x10',
] as const;

/**
 * Names a plain object answers from Object.prototype (valid variable, attribute, flow, version and result names):
 * `dict[name]` reads a function or the prototype, `dict[name] = v` with "__proto__" replaces the prototype. Fuzz
 * tests try them often, whole, as names and as dictionary keys (lib/own.ts).
 */
export const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const;

/** One of PROTO_NAMES. */
export const protoName: fc.Arbitrary<string> = fc.constantFrom(...PROTO_NAMES);

/** One hostile string: fragments glued to ordinary text, sometimes very long, often a name Object.prototype has. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: protoName },
  { weight: 4, arbitrary: fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 8 }), fc.stringMatching(/^[0-9*#+]{1,12}$/)), { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('1', 'a', '9#', '<a>', ','), fc.integer({ min: 1000, max: 120_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length))) },
);

/** Any JSON-like value, with hostile strings for strings and keys. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(hostileString, protoName, fc.constantFrom('name', 'id')), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** An object with some of the given keys set to hostile values (what a form or a msg override may hold). */
export function hostileRecord(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  if (keys.length === 0) return fc.dictionary(fc.oneof(hostileString, protoName), hostileValue, { maxKeys: 4 });
  return fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: hostileString }, { weight: 1, arbitrary: protoName }), hostileValue, { maxKeys: keys.length + 2 });
}

/** fast-check parameters: a fixed number of runs (bounded time on any machine), a replayable seed. */
export function runs(n: number): fc.Parameters<unknown> {
  const scale = Number(process.env.FUZZ_RUNS ?? 1);
  const params: fc.Parameters<unknown> = { numRuns: Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1))) };
  if (process.env.FUZZ_SEED) params.seed = Number(process.env.FUZZ_SEED);
  return params;
}

/**
 * Whether an error message reads as this product's messages do: a sentence,
 * of bounded length, no raw control characters (log lines stay one line), no
 * "undefined"/"[object Object]" where a value should be named.
 */
export function clearMessage(message: string): string | undefined {
  if (message.trim() === '') return 'the message is empty';
  if (message.length > 2000) return `the message is ${message.length} characters long`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(message)) return 'the message holds control characters (a log line must stay one line)';
  if (/\[object Object\]/.test(message)) return 'the message says [object Object]';
  if (/\b(TypeError|ReferenceError|RangeError: Maximum call stack|Cannot read propert|is not a function|is not iterable)\b/.test(message)) {
    return 'the message is a JavaScript crash, not an explanation';
  }
  return undefined;
}
