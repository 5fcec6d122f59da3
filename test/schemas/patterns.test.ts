/**
 * Every string a schema pattern would take at any length has a maxLength
 * (ajv runs patterns with V8 on hostile text; bench/patterns measures that
 * each is linear). The dial strings' patterns, once quadratic, are now
 * lib/ari/dialstring.ts's templates of one destination: test/ari/dialstring.test.ts
 * checks that they say what its parser says.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as asterisk from '../../lib/schemas/asterisk';
import * as campaign from '../../lib/schemas/campaign';
import * as elements from '../../lib/schemas/elements';
import * as httpIvr from '../../lib/schemas/http-ivr';
import * as releases from '../../lib/schemas/releases';
import * as routing from '../../lib/schemas/routing';
import * as store from '../../lib/schemas/store';
import * as storeConfig from '../../lib/schemas/store-config';
import { Validator } from '../../lib/schemas/validator';

/** Whether a pattern takes strings of any length: a *, + or {n,} outside character classes. */
function unbounded(pattern: string): boolean {
  const bare = pattern.replace(/\\./g, 'x').replace(/\[[^\]]*\]/g, 'x');
  return /[*+]|\{\d+,\}/.test(bare);
}

interface Schema {
  type?: string | string[];
  pattern?: string;
  maxLength?: number;
  properties?: Record<string, Schema>;
  [key: string]: unknown;
}

/**
 * Paths of string schemas with an unbounded pattern and no maxLength. A
 * property is bounded too by a maxLength on the same property of the object
 * its allOf/if/then refine (`bounded`: those names).
 */
function unboundedStrings(node: unknown, path: string, bounded: ReadonlySet<string>, out: string[], property?: string): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => unboundedStrings(n, `${path}/${i}`, bounded, out));
    return;
  }
  if (!node || typeof node !== 'object') return;
  const s = node as Schema;
  if (typeof s.pattern === 'string' && s.maxLength === undefined && unbounded(s.pattern) && !(property !== undefined && bounded.has(property))) out.push(`${path} (${s.pattern})`);
  const mine = new Set(bounded);
  for (const [key, prop] of Object.entries(s.properties ?? {})) if (prop.maxLength !== undefined) mine.add(key);
  for (const [key, value] of Object.entries(s)) {
    if (key === 'default' || key === 'enum' || key === 'const') continue;
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, prop] of Object.entries(value)) unboundedStrings(prop, `${path}/properties/${name}`, mine, out, name);
    } else {
      const refines = ['allOf', 'anyOf', 'oneOf', 'if', 'then', 'else'].includes(key);
      unboundedStrings(value, `${path}/${key}`, refines ? mine : new Set(), out);
    }
  }
}

describe('schema patterns rewritten for linear time', function () {
  it('bound every string whose pattern takes any length with a maxLength', function () {
    const found: string[] = [];
    for (const mod of [asterisk, campaign, elements, httpIvr, releases, routing, store, storeConfig]) {
      for (const value of Object.values(mod)) if (value instanceof Validator) unboundedStrings(value.schema, value.name, new Set(), found);
    }
    assert.deepEqual([...new Set(found)], []);
    assert.equal(unbounded('^[0-9+*,\\s]*$'), true);
    assert.equal(unbounded('^[A-Za-z0-9_+*#.-]{0,80}$'), false);
  });

  // bench/patterns times these inputs at 2,000 to 100,000 characters and reports any that grows faster than
  // the input. Here they run once at 2,000: what is linear or even quadratic answers at once, and a pattern
  // that backtracks exponentially (as the connection's allowlist did) never answers. They run in a worker, the
  // only thing that can be stopped inside a regular expression, given a minute (they need a few seconds).
  it('answers every pumped near-match of every schema pattern and of the functions that meet hostile text', async function () {
    this.timeout(90_000);
    const worker = new Worker(path.join(__dirname, 'patterns-worker.js'));
    let current = '(starting)';
    const inputs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`no answer within 60 s from ${current}: it backtracks exponentially (run npm run bench:patterns)`));
      }, 60_000);
      worker.on('message', (m: { subject?: string; where?: string; done?: boolean; inputs?: number }) => {
        if (m.subject) current = `${m.subject} (in ${m.where ?? ''})`;
        if (m.done) {
          clearTimeout(timer);
          resolve(m.inputs ?? 0);
        }
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    await worker.terminate();
    assert.ok(inputs > 1000, `${inputs} inputs were tried`);
  });
});
