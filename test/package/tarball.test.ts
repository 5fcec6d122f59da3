/**
 * The package as npm publishes it: `npm pack` of the built tree (the build
 * ran before mocha; `prepack` cleans and builds when a release is packed),
 * checked file by file, then installed into a fresh Node-RED user directory
 * the way Node-RED's palette manager puts it there (the tarball extracted to
 * node_modules/node-red-contrib-callflow) and started: every node set of the
 * package enabled, no error or warning of ours in the log, and the example
 * campaign running on the embedded store (its worker thread and SQLite
 * loaded from the installed files).
 *
 * No network: instead of installing the dependencies, each dependency the
 * tarball's package.json declares (and only those) is linked from this
 * repository's node_modules, so a require of an undeclared package fails
 * here as it would for a user.
 */
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { OutputLines, PACKAGE_ROOT, freePort, prepareHome, readExamples, startNodeRed, waitForOutput } from '../../lib/playground/home';
import { useTempDir } from '../support/temp-dir';

interface PackedFile {
  path: string;
}

interface Manifest {
  name: string;
  version: string;
  main: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  'node-red': { nodes: Record<string, string>; plugins?: Record<string, string> };
}

const LANGUAGES = ['en-US', 'zh-CN'];

/** Runs npm (the one running this test when there is one) and resolves with its output; rejects with stderr. */
function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const cli = process.env.npm_execpath;
  const [file, argv] = cli && /\.c?js$/.test(cli) ? [process.execPath, [cli, ...args]] : ['npm', args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`npm ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

function untar(tarball: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-xzf', tarball, '-C', into], (err, _stdout, stderr) => (err ? reject(new Error(`tar: ${err.message}\n${stderr}`)) : resolve()));
  });
}

/** Every file under dir, as '/'-separated paths relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

describe('the package as npm packs it', function () {
  this.timeout(60_000);
  const pack = useTempDir('callflow-pack-', 'suite');
  let installed: string;
  let files: string[];
  let manifest: Manifest;
  let packWarnings: string[];

  before(async function () {
    // --ignore-scripts: `npm test` built dist/ just before mocha; prepack would build it again.
    const { stdout, stderr } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', pack.path], PACKAGE_ROOT);
    const [packed] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[];
    assert.ok(packed, stdout);
    files = packed.files.map((f) => f.path);
    packWarnings = stderr.split('\n').filter((l) => /\bwarn/i.test(l));
    const unpacked = path.join(pack.path, 'unpacked');
    fs.mkdirSync(unpacked);
    await untar(path.join(pack.path, packed.filename), unpacked);
    installed = path.join(unpacked, 'package');
    manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Manifest;
  });

  it('packs without a warning, and the tarball holds exactly the files npm listed', function () {
    assert.deepEqual(packWarnings, []);
    assert.deepEqual(walk(installed).sort(), [...files].sort());
  });

  it('is built from scratch when packed for a release (prepack cleans dist/ and builds)', function () {
    const scripts = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.prepack ?? '', /^npm run clean && npm run build$/);
    assert.match(scripts.clean ?? '', /rmSync\('dist'/);
  });

  it('holds no tests, benchmarks, TypeScript sources, build state or the npm start playground', function () {
    const unwanted = files.filter((f) => /^(test|bench|lib|nodes|locales|icons|\.ci)\//.test(f) || /^dist\/(test|bench)\//.test(f) || /\.ts$/.test(f) || /tsbuildinfo/.test(f) || /^dist\/lib\/playground\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('holds every file its node-red section, main and bin name, each node with its template, help, strings and icons in both languages', function () {
    const has = new Set(files);
    const missing: string[] = [];
    const need = (f: string): void => {
      if (!has.has(f)) missing.push(f);
    };
    need(manifest.main);
    for (const bin of Object.values(manifest.bin)) need(bin);
    // The SQLite store runs on a worker thread loaded by its file name, not by a require that a bundler or a check would follow.
    need('dist/lib/store/embedded-worker.js');
    const entries = [
      ...Object.values(manifest['node-red'].nodes).map((file) => ({ file, node: true })),
      ...Object.values(manifest['node-red'].plugins ?? {}).map((file) => ({ file, node: false })),
    ];
    assert.equal(entries.length, Object.keys(manifest['node-red'].nodes).length + Object.keys(manifest['node-red'].plugins ?? {}).length);
    for (const { file, node } of entries) {
      need(file);
      const dir = path.posix.dirname(file);
      const base = path.posix.basename(file, '.js');
      need(`${dir}/${base}.html`);
      for (const lang of LANGUAGES) {
        need(`${dir}/locales/${lang}/${base}.json`);
        if (node) need(`${dir}/locales/${lang}/${base}.html`);
      }
      if (node && has.has(`${dir}/${base}.html`)) {
        const html = fs.readFileSync(path.join(installed, dir, `${base}.html`), 'utf8');
        for (const [, icon] of html.matchAll(/\bicon\s*:\s*["']([^"']+)["']/g)) if (icon && !/^(fa |font-awesome\/)/.test(icon)) need(`${dir}/icons/${icon}`);
      }
    }
    for (const example of readExamples(PACKAGE_ROOT)) need(`examples/${example.file}`);
    assert.deepEqual(missing, []);
  });

  it('ships source maps that carry their TypeScript, and every sourceMappingURL names a map in the package', function () {
    const problems: string[] = [];
    for (const js of files.filter((f) => f.endsWith('.js'))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(installed, js), 'utf8'))?.[1];
      if (!url) continue;
      const map = path.posix.join(path.posix.dirname(js), url);
      if (!files.includes(map)) problems.push(`${js} names ${map}, not in the package`);
    }
    const maps = files.filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 0);
    for (const file of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(installed, file), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((source, i) => {
        const inPackage = files.includes(path.posix.join(path.posix.dirname(file), source));
        if (!inPackage && typeof map.sourcesContent?.[i] !== 'string') problems.push(`${file}: ${source} is neither in the package nor inlined`);
      });
    }
    assert.deepEqual(problems, []);
  });

  it('requires only Node built-ins, its own files and the dependencies it declares', function () {
    const declared = new Set(Object.keys(manifest.dependencies));
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    for (const js of files.filter((f) => f.endsWith('.js'))) {
      const code = fs.readFileSync(path.join(installed, js), 'utf8');
      for (const [, spec] of code.matchAll(/\brequire(?:\.resolve)?\(\s*["']([^"']+)["']\s*\)/g)) {
        if (!spec) continue;
        if (spec.startsWith('.')) {
          const target = path.posix.join(path.posix.dirname(js), spec);
          if (![target, `${target}.js`, `${target}.json`, `${target}/index.js`].some((t) => files.includes(t))) problems.push(`${js} requires ${spec}, not in the package`);
          continue;
        }
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!declared.has(name ?? spec)) problems.push(`${js} requires ${spec}, which package.json does not declare`);
      }
    }
    assert.deepEqual(problems, []);
  });

  describe('installed into a fresh Node-RED user directory', function () {
    this.timeout(90_000);
    let child: ChildProcess | undefined;
    let editor: string;
    let home: string;
    const lines = new OutputLines();
    const campaign = readExamples(PACKAGE_ROOT).find((e) => e.nodes.some((n) => n.type === 'callflow-store') && e.nodes.some((n) => n.type === 'callflow-campaign'));

    before(async function () {
      assert.ok(campaign, 'no example runs a campaign on a store');
      home = path.join(pack.path, 'home');
      const port = await freePort();
      editor = `http://127.0.0.1:${port}`;
      // The installed copy's example: the flow a user imports from Import > Examples.
      const flow = readExamples(installed).find((e) => e.file === campaign.file);
      assert.ok(flow, `${campaign.file} is not in the package`);
      const { settings } = prepareHome({ dir: home, port, flows: flow.nodes, replaceFlows: true });
      // prepareHome links this repository; a user has the tarball's files instead, and only its declared dependencies.
      const modules = path.join(home, 'node_modules');
      fs.rmSync(path.join(modules, manifest.name), { recursive: true, force: true });
      fs.renameSync(installed, path.join(modules, manifest.name));
      installed = path.join(modules, manifest.name);
      for (const dep of Object.keys(manifest.dependencies)) {
        const from = path.join(PACKAGE_ROOT, 'node_modules', dep);
        assert.ok(fs.existsSync(from), `${dep} is not installed in this repository`);
        fs.mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
        fs.symlinkSync(from, path.join(modules, dep), 'dir');
      }
      // What Node-RED's palette manager leaves: the package as a dependency of the user directory.
      fs.writeFileSync(path.join(home, 'package.json'), `${JSON.stringify({ name: 'node-red-project', private: true, dependencies: { [manifest.name]: `~${manifest.version}` } }, null, 2)}\n`);
      child = startNodeRed({ dir: home, settings, env: { CALLFLOW_SIM_PORT: '0' }, onOutput: (l) => lines.push(l) });
      await waitForOutput(child, lines, /Started flows/, 60_000);
    });

    after(async function () {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
    });

    it('loads from the installed files: every node set of the package enabled, no error', async function () {
      const sets = (await (await fetch(`${editor}/nodes`, { headers: { Accept: 'application/json' } })).json()) as { id: string; module: string; types: string[]; enabled: boolean; err?: string }[];
      const ours = sets.filter((s) => s.module === manifest.name);
      assert.deepEqual(ours.flatMap((s) => s.types).sort(), Object.keys(manifest['node-red'].nodes).sort());
      for (const set of ours) {
        assert.equal(set.enabled, true, set.id);
        assert.equal(set.err, undefined, `${set.id}: ${set.err ?? ''}`);
      }
      const plugins = (await (await fetch(`${editor}/plugins`, { headers: { Accept: 'application/json' } })).json()) as { id: string; module: string }[];
      assert.deepEqual(plugins.filter((p) => p.module === manifest.name).map((p) => p.id), Object.keys(manifest['node-red'].plugins ?? {}).map((id) => `${manifest.name}/${id}`));
      // Node-RED's own notices (projects disabled, ...) are not ours; none may come from the package.
      const ourLines = lines.all.filter((l) => /\[(error|warn)\]/.test(l) && /callflow|\[error\]/i.test(l));
      assert.deepEqual(ourLines, []);
    });

    it('runs the example campaign on the embedded store: SQLite and its worker thread load from the package', async function () {
      assert.ok(campaign);
      const task = campaign.nodes.find((n) => n.type === 'callflow-campaign');
      assert.ok(task);
      // Each answer waits up to 1 s for the task (its store opening); ask again until it answers or 30 s pass.
      const until = Date.now() + 30_000;
      let seen: { id: string; state?: string; error?: string } | undefined;
      do {
        const list = (await (await fetch(`${editor}/callflow/campaigns`)).json()) as { id: string; state?: string; error?: string }[];
        seen = list.find((t) => t.id === task.id);
      } while ((!seen || seen.error) && Date.now() < until);
      assert.ok(seen && !seen.error && seen.state, JSON.stringify(seen));
      assert.ok(fs.existsSync(path.join(home, String(campaign.nodes.find((n) => n.type === 'callflow-store')?.file))), 'no store file in the user directory');
      assert.deepEqual(lines.all.filter((l) => /\[error\]/.test(l)), []);
    });

    it('stops cleanly on SIGINT', async function () {
      assert.ok(child);
      const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.deepEqual(lines.all.filter((l) => /\[error\]/.test(l)), []);
    });
  });
});
