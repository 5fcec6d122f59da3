/**
 * Every status text a node shows on the canvas is translated: it is a key of
 * the node's catalog (the editor words it in the browser's language) or
 * built by the runtime with t() from keys (worded in the runtime's language),
 * and every key has its text in en-US and in zh-CN. The few texts that are
 * neither are listed below with the reason (an error's own message, the
 * user's own codes). A new status text that is none of these fails here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const LANGS = ['en-US', 'zh-CN'] as const;

/** Status texts that are not keys, and why. */
const NOT_KEYS: Record<string, string> = {
  lastError: 'element.ts: the last error of an element, a message that names the field and the value (also in done(err)), or a key',
  '(err as Error).message': 'dialer.ts and report.ts: the message of an error (campaign.ts words the dialer\'s with t()), also in done(err) or the log',
  text: 'contacts.ts: t(callflow-contacts.errors.*) or the message of an error, also in done(err)',
  'subCode ? `${code} / ${subCode}` : code': "result.ts: the result codes the user's flow set",
  '`${state}${idle}${problem} · ${progress}${warned}`': 'dialer.ts: joins texts made with t() just above',
};

type Catalog = Record<string, unknown>;
function load(lang: string, file: string): Catalog {
  return JSON.parse(fs.readFileSync(path.join(root, 'locales', lang, file), 'utf8')) as Catalog;
}
function lookup(catalog: Catalog, key: string): unknown {
  return key.split('.').reduce<unknown>((n, part) => (n && typeof n === 'object' ? (n as Catalog)[part] : undefined), catalog);
}
function leaves(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof node === 'string') out.set(prefix, node);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) for (const [p, s] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, s);
  return out;
}
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}
/** Folders under nodes/ that are no node but serve them all: their keys resolve in every node's catalog. */
const SERVING = new Set(['admin', 'deployed', 'element', 'red']);
/** The catalogs a node module's keys resolve in (its own and callflow.json, as the build merges them); the serving folders' in all. */
function catalogsOf(file: string, lang: string): Catalog[] {
  const folder = path.basename(path.dirname(file));
  const shared = load(lang, 'callflow.json');
  if (SERVING.has(folder)) return [shared, ...fs.readdirSync(path.join(root, 'locales', lang)).map((f) => load(lang, f))];
  const own = path.join(root, 'locales', lang, `${folder}.json`);
  return fs.existsSync(own) ? [load(lang, `${folder}.json`), shared] : [shared];
}

const files = sourceFiles(path.join(root, 'nodes'));

describe('status texts and their translations', function () {
  it('has the same keys and placeholders in en-US and zh-CN, and Chinese text for every status', function () {
    const problems: string[] = [];
    for (const file of fs.readdirSync(path.join(root, 'locales', 'en-US'))) {
      const en = leaves(load('en-US', file));
      const zh = leaves(load('zh-CN', file));
      for (const key of en.keys()) if (!zh.has(key)) problems.push(`zh-CN/${file}: no ${key}`);
      for (const key of zh.keys()) if (!en.has(key)) problems.push(`en-US/${file}: no ${key}`);
      for (const [key, text] of en) {
        const other = zh.get(key);
        if (other === undefined) continue;
        const params = (s: string): string => [...s.matchAll(/__([A-Za-z0-9_]+)__/g)].map((m) => m[1]).sort().join(',');
        if (params(text) !== params(other)) problems.push(`${file} ${key}: placeholders differ (${params(text)} / ${params(other)})`);
        if (/(^|\.)(status|state|idle)\./.test(key) && !/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(other)) problems.push(`zh-CN/${file} ${key}: "${other}" is not Chinese`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('shows, in every node, only keys, texts made with t() from keys, or the listed exceptions', function () {
    const problems: string[] = [];
    let seen = 0;
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      // Status objects: { fill: ..., shape: ..., text: <expression> }.
      for (const m of source.matchAll(/\bfill:[^\n]*?\btext: ((?:[^{}\n]|\{[^{}\n]*\})+?) \}/g)) {
        seen += 1;
        const expr = (m[1] ?? '').trim();
        const literal = /^'([^']+)'$/.exec(expr)?.[1];
        const made = /^t\('([^']+)'/.exec(expr)?.[1] ?? /^t\(`([^`$]+)\$\{/.exec(expr)?.[1];
        const where = `${path.relative(root, file)}: text: ${expr}`;
        if (literal || made) {
          for (const lang of LANGS) {
            const key = literal ?? made ?? '';
            const found = catalogsOf(file, lang).some((c) => (key.endsWith('.') ? typeof lookup(c, key.slice(0, -1)) === 'object' : typeof lookup(c, key) === 'string'));
            if (!found) problems.push(`${where}: ${key} is not in locales/${lang}`);
          }
        } else if (!(expr in NOT_KEYS)) {
          problems.push(`${where}: not a key, not made with t(), not listed`);
        }
      }
    }
    assert.ok(seen >= 15, `found only ${seen} status texts: the scan no longer matches the code`);
    assert.deepEqual(problems, []);
  });

  it("has a text in both languages for everything a versioned entry's status says (lib/releases/views.ts EntryStatusKind)", function () {
    const declared = /export type EntryStatusKind = ([^;]+);/.exec(fs.readFileSync(path.join(root, 'lib', 'releases', 'views.ts'), 'utf8'))?.[1] ?? '';
    const kinds = [...declared.matchAll(/'([a-z-]+)'/g)].map((m) => m[1] ?? '');
    assert.ok(kinds.length >= 5, `EntryStatusKind not found: ${declared}`);
    for (const lang of LANGS) for (const kind of [...kinds, 'call', 'calls']) assert.equal(typeof lookup(load(lang, 'entry.json'), `callflow-entry.status.${kind}`), 'string', `${lang}: callflow-entry.status.${kind}`);
  });

  it('has every key that the nodes pass to t() in en-US and zh-CN', function () {
    const problems: string[] = [];
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      for (const m of source.matchAll(/\bt\(\s*'([^']+)'/g)) {
        const key = m[1] ?? '';
        for (const lang of LANGS) if (!catalogsOf(file, lang).some((c) => typeof lookup(c, key) === 'string')) problems.push(`${path.relative(root, file)}: ${key} is not in locales/${lang}`);
      }
      for (const m of source.matchAll(/\bt\(\s*`([^`$]+)\$\{/g)) {
        const prefix = (m[1] ?? '').replace(/\.$/, '');
        for (const lang of LANGS) if (!catalogsOf(file, lang).some((c) => typeof lookup(c, prefix) === 'object')) problems.push(`${path.relative(root, file)}: ${prefix}.* is not in locales/${lang}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
