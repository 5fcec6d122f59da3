// Puts every node's editor files where Node-RED looks for them: beside the
// node's compiled .js in dist/nodes/<name>/.
//
//   nodes/<name>/<name>.html        -> dist/nodes/<name>/<name>.html            (editor template)
//   nodes/<name>/help/<lang>.html   -> dist/nodes/<name>/locales/<lang>/<name>.html  (help)
//   locales/<lang>/<name>.json      -> dist/nodes/<name>/locales/<lang>/<name>.json  (strings)
//   icons/<icon>                    -> dist/nodes/<name>/icons/<icon>           (each icon the template names)
//   nodes/shared/editor/*           -> resources/                               (shared editor code,
//                                      served by Node-RED at /resources/node-red-contrib-callflow/)
//
// A node folder is one that holds <name>.html. The build fails, naming the
// file, when a node lacks a language, its help, or an icon it names.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const languages = ['en-US', 'zh-CN'];
const problems = [];

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

const nodesDir = path.join(root, 'nodes');
let count = 0;
for (const name of fs.readdirSync(nodesDir).sort()) {
  const src = path.join(nodesDir, name);
  const template = path.join(src, `${name}.html`);
  if (!fs.existsSync(template)) continue;
  count += 1;
  const out = path.join(root, 'dist', 'nodes', name);
  if (!fs.existsSync(path.join(out, `${name}.js`))) problems.push(`${name}: dist/nodes/${name}/${name}.js was not built`);
  copy(template, path.join(out, `${name}.html`));
  for (const lang of languages) {
    const help = path.join(src, 'help', `${lang}.html`);
    const strings = path.join(root, 'locales', lang, `${name}.json`);
    if (fs.existsSync(help)) copy(help, path.join(out, 'locales', lang, `${name}.html`));
    else problems.push(`${name}: missing help nodes/${name}/help/${lang}.html`);
    if (fs.existsSync(strings)) {
      JSON.parse(fs.readFileSync(strings, 'utf8'));
      copy(strings, path.join(out, 'locales', lang, `${name}.json`));
    } else problems.push(`${name}: missing strings locales/${lang}/${name}.json`);
  }
  const icons = [...fs.readFileSync(template, 'utf8').matchAll(/\bicon\s*:\s*["']([^"']+)["']/g)].map((m) => m[1]);
  if (icons.length === 0) problems.push(`${name}: the editor template names no icon`);
  for (const icon of icons) {
    const file = path.join(root, 'icons', icon);
    if (fs.existsSync(file)) copy(file, path.join(out, 'icons', icon));
    else problems.push(`${name}: icon icons/${icon} does not exist`);
  }
}

const sharedEditor = path.join(nodesDir, 'shared', 'editor');
if (fs.existsSync(sharedEditor)) {
  fs.rmSync(path.join(root, 'resources'), { recursive: true, force: true });
  for (const file of fs.readdirSync(sharedEditor)) {
    copy(path.join(sharedEditor, file), path.join(root, 'resources', file));
  }
}

if (problems.length > 0) {
  console.error(`build-assets: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`build-assets: ${count} node(s) ready in dist/nodes`);
