// Puts every node's editor files where Node-RED looks for them: beside the
// node's compiled .js, as package.json's node-red section names them.
//
//   nodes/<dir>/<file>.html        -> dist/nodes/<dir>/<file>.html                  (editor template)
//   nodes/<dir>/help/<lang>.html   -> dist/nodes/<dir>/locales/<lang>/<file>.html   (help, with the shared
//                                     parts of nodes/editor/help/<lang>/ in place of their markers)
//   locales/<lang>/<file>.json     -> dist/nodes/<dir>/locales/<lang>/<file>.json   (strings, with
//                                     locales/<lang>/callflow.json merged in: status texts every node uses)
//   icons/<icon>                   -> dist/nodes/<dir>/icons/<icon>                 (each icon the template names)
//
// The editor plugin's template gets the JSON schemas of lib/schemas and the
// validators ajv compiles from them (ajv's standalone code), so forms are
// checked by the same rules as the runtime.
//
// The build fails, naming the file, when a node lacks a language, its help,
// or an icon it names.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(path.join(root, 'package.json'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const languages = ['en-US', 'zh-CN'];
const problems = [];

function copy(from, to, transform) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  if (transform) fs.writeFileSync(to, transform(fs.readFileSync(from, 'utf8')));
  else fs.copyFileSync(from, to);
}

function merge(target, source) {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object') merge(target[k], v);
    else if (!(k in target)) target[k] = v;
  }
  return target;
}

function editorValidators() {
  const Ajv = require('ajv').default;
  const standalone = require('ajv/dist/standalone').default;
  const { SCHEMAS } = require(path.join(root, 'dist/lib/schemas/index.js'));
  // unicode:false measures lengths with String.length, so the generated code needs no ajv runtime module.
  const ajv = new Ajv({ code: { source: true }, allErrors: true, verbose: true, strict: true, allowUnionTypes: true, $data: true, unicode: false, logger: false });
  const refs = {};
  const schemas = {};
  for (const [name, validator] of Object.entries(SCHEMAS)) {
    ajv.addSchema(validator.schema, name);
    refs[name] = name;
    schemas[name] = validator.schema;
  }
  const code = standalone(ajv, refs);
  // The only ajv runtime module the generated code may need is its deep equality (uniqueItems, $data enums);
  // the editor plugin provides one. Anything else would not run in the browser.
  const modules = [...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => m !== 'ajv/dist/runtime/equal');
  if (modules.length > 0) throw new Error(`build-assets: the editor validators need ${modules.join(', ')}; keep the schemas to keywords that compile standalone`);
  return { code, schemas: JSON.stringify(schemas) };
}

// The runtime's wording of schema problems (lib/schemas/validator.ts), as the compiled functions' own text:
// the editor runs the same code. They may use nothing else of their module (checked here).
function editorDescribe() {
  const validator = require(path.join(root, 'dist/lib/schemas/validator.js'));
  const names = ['shownValue', 'shownKey', 'describeErrors'];
  const code = names.map((n) => validator[n].toString()).join('\n');
  if (/\b(exports|require)\b/.test(code)) throw new Error('build-assets: describeErrors and its helpers must not use other parts of their module');
  return code;
}

// Help that every element says the same way (the call input, the error output) is written once, in
// nodes/editor/help/<lang>/<part>.html, and stands in a node's help as <!-- callflow:<part> -->.
function withHelpParts(html, lang, file) {
  return html.replace(/^[ \t]*<!-- callflow:([a-z-]+) -->/gm, (marker, part) => {
    const source = path.join(root, 'nodes', 'editor', 'help', lang, `${part}.html`);
    if (!fs.existsSync(source)) {
      problems.push(`${path.relative(root, file)} names help part ${part}, which ${path.relative(root, source)} does not hold`);
      return marker;
    }
    return fs.readFileSync(source, 'utf8').trimEnd();
  });
}

const entries = [
  ...Object.values(pkg['node-red'].nodes).map((file) => ({ file, kind: 'node' })),
  ...Object.values(pkg['node-red'].plugins ?? {}).map((file) => ({ file, kind: 'plugin' })),
];
let count = 0;
for (const { file, kind } of entries) {
  const out = path.dirname(path.join(root, file));
  const base = path.basename(file, '.js');
  const src = path.join(root, 'nodes', path.relative(path.join(root, 'dist', 'nodes'), out));
  const template = path.join(src, `${base}.html`);
  if (!fs.existsSync(path.join(root, file))) problems.push(`${file} was not built`);
  if (!fs.existsSync(template)) {
    problems.push(`${path.relative(root, template)} is missing`);
    continue;
  }
  count += 1;
  if (kind === 'plugin') {
    const { code, schemas } = editorValidators();
    const describe = editorDescribe();
    // All go inside the template's <script>: a "</script" in them would end it and turn the rest into HTML.
    if (/<\/script/i.test(schemas + code + describe)) problems.push('the schemas, their compiled validators or describeErrors hold "</script", which would end the editor plugin\'s script');
    // Replaced by functions, so a "$&" or "$'" in a schema's pattern is kept as written.
    copy(template, path.join(out, `${base}.html`), (html) => html.replace('/*@@SCHEMAS@@*/ {}', () => schemas).replace('/*@@VALIDATORS@@*/', () => code).replace('/*@@DESCRIBE@@*/', () => describe));
  } else {
    copy(template, path.join(out, `${base}.html`));
  }
  for (const lang of languages) {
    const strings = path.join(root, 'locales', lang, `${base}.json`);
    if (!fs.existsSync(strings)) {
      problems.push(`missing strings locales/${lang}/${base}.json`);
    } else {
      const own = JSON.parse(fs.readFileSync(strings, 'utf8'));
      const shared = JSON.parse(fs.readFileSync(path.join(root, 'locales', lang, 'callflow.json'), 'utf8'));
      const target = path.join(out, 'locales', lang, `${base}.json`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, JSON.stringify(merge(own, shared), null, 2));
    }
    if (kind === 'node') {
      const help = path.join(src, 'help', `${lang}.html`);
      if (fs.existsSync(help)) copy(help, path.join(out, 'locales', lang, `${base}.html`), (html) => withHelpParts(html, lang, help));
      else problems.push(`missing help ${path.relative(root, help)}`);
    }
  }
  if (kind === 'node') {
    // Font Awesome icons ("fa fa-phone") come with the editor.
    const icons = [...fs.readFileSync(template, 'utf8').matchAll(/\bicon\s*:\s*["']([^"']+)["']/g)].map((m) => m[1]);
    if (icons.length === 0) problems.push(`${path.relative(root, template)} names no icon`);
    for (const icon of icons.filter((i) => !/^(fa |font-awesome\/)/.test(i))) {
      const iconFile = path.join(root, 'icons', icon);
      if (fs.existsSync(iconFile)) copy(iconFile, path.join(out, 'icons', icon));
      else problems.push(`icon icons/${icon} (named by ${path.relative(root, template)}) does not exist`);
    }
  }
}

if (problems.length > 0) {
  console.error(`build-assets: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`build-assets: ${count} node(s) and plugin(s) ready in dist/nodes`);
