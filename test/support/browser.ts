/**
 * Editor tests in a real headless browser: a real Node-RED with this package
 * installed the way `npm start` does it (lib/playground/home.ts), in a
 * fresh temporary user directory on free ports, and Debian's Chromium
 * (/usr/bin/chromium, package `chromium`) driven by playwright-core, which
 * never downloads a browser of its own.
 *
 *   const reason = chromiumMissing();
 *   if (reason) { console.log(`      SKIPPED: ${reason}`); this.skip(); }
 *   editor = await startEditor({ flows });
 *   browser = await openBrowser();
 *   await gotoEditor(browser.page, editor.url);
 *   ...
 *   after: await browser?.close(); await editor?.stop();
 *
 * stop() and close() always end the processes (SIGKILL when a polite stop
 * is not enough), and whatever is still running when the test process
 * exits is killed then.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { OutputLines, freePort, prepareHome, startNodeRed, waitForOutput } from '../../lib/playground/home';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Chromium's switches: headless, no sandbox (root in CI), nothing that reaches the network on its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    return undefined;
  } catch {
    return `${CHROMIUM} is missing: the editor tests in a real browser did not run (apt-get install chromium, as .ci/run does, to run them)`;
  }
}

// ---------------------------------------------------------------- Node-RED

export interface EditorOptions {
  /** The flows file (a flow configuration: tabs, nodes, config nodes). */
  flows: object[];
  /** flows_cred.json, by node id (plain JSON: the settings set credentialSecret false). */
  credentials?: Record<string, Record<string, unknown>>;
  /** Settings laid over the playground's (top-level keys replaced), e.g. { adminAuth: {...} }; JSON values only. */
  settings?: Record<string, unknown>;
  /** CALLFLOW_SIM_SPEED of the built-in simulated Asterisk (default 50: prompts 50 times shorter). */
  simSpeed?: number;
  /** More environment for Node-RED. */
  env?: Record<string, string>;
  /** How long Node-RED may take to print "Started flows" (default 45 s). */
  startTimeoutMs?: number;
  /** The line that says the flows started, in the runtime's language (default /Started flows/; zh-CN: /流程已启动/). */
  startedLine?: RegExp;
}

export interface EditorHandle {
  /** The editor, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Node-RED's user directory (removed by stop()). */
  dir: string;
  /** Node-RED's process id. */
  pid: number;
  /** The port the built-in simulated Asterisk is told to use (CALLFLOW_SIM_PORT), and its URL. */
  simPort: number;
  simUrl: string;
  /** Node-RED's output so far, line by line (stdout and stderr). */
  logs(): string[];
  /** The first output line matching `pattern`: one already printed, else the next one. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops Node-RED (SIGINT, SIGKILL after 5 s) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Node-RED processes still running, and their directories: killed and removed when the test process exits, whatever happened. */
const running = new Map<ChildProcess, string>();
/** The directories of the Chromiums still open: their processes are killed at exit too. */
const browserDirs = new Set<string>();
let exitHook = false;

function killAllAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of running.keys()) child.kill('SIGKILL');
    for (const dir of browserDirs) killChromium(dir);
    for (const dir of [...running.values(), ...browserDirs]) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // Left in the temporary directory.
      }
    }
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (!exited(child)) {
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([gone, late])) === 'late') child.kill('SIGKILL');
    clearTimeout(timer);
    await gone;
  }
  running.delete(child);
}

/** Starts Node-RED with this package and `flows`; resolves once it printed "Started flows". */
export async function startEditor(options: EditorOptions): Promise<EditorHandle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-editor-'));
  const port = await freePort();
  const simPort = await freePort();
  const { settings } = prepareHome({ dir, port, flows: options.flows as Record<string, unknown>[], replaceFlows: true });
  if (options.settings) fs.appendFileSync(settings, `// Test settings.\nObject.assign(module.exports, ${JSON.stringify(options.settings, null, 2)});\n`);
  if (options.credentials) fs.writeFileSync(path.join(dir, 'flows_cred.json'), `${JSON.stringify(options.credentials, null, 2)}\n`);
  const lines = new OutputLines();
  killAllAtExit();
  const child = startNodeRed({
    dir,
    settings,
    env: { CALLFLOW_SIM_PORT: String(simPort), CALLFLOW_SIM_SPEED: String(options.simSpeed ?? 50), ...options.env },
    onOutput: (line) => lines.push(line),
  });
  running.set(child, dir);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= stopChild(child, 5000).then(() => fs.rmSync(dir, { recursive: true, force: true })));
  try {
    await waitForOutput(child, lines, options.startedLine ?? /Started flows/, options.startTimeoutMs ?? 45_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; its output:\n${lines.all.join('\n')}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    pid: child.pid ?? 0,
    simPort,
    simUrl: `http://127.0.0.1:${simPort}`,
    logs: () => [...lines.all],
    // A line already printed counts: the wait may start after Node-RED logged it.
    waitForLog: (pattern, timeoutMs = 10_000) => {
      const seen = lines.all.find((l) => pattern.test(l));
      return seen === undefined ? waitForOutput(child, lines, pattern, timeoutMs) : Promise.resolve(seen);
    },
    stop,
  };
}

// ---------------------------------------------------------------- Chromium

export interface BrowserHandle {
  browser: Browser;
  context: BrowserContext;
  /** The browser's one page (actions wait at most 10 s by default). */
  page: Page;
  /** Chromium's temporary directory, removed by close(): its HOME, the profile (profile/) and the crash database (config/). */
  dir: string;
  /** Uncaught errors of the page's scripts, as "message\nstack". */
  errors(): string[];
  /** Closes Chromium (killed if it takes more than 10 s) and removes its directory; safe to call twice. */
  close(): Promise<void>;
}

/**
 * The running processes of the Chromium that openBrowser gave the directory
 * `dir` (Linux /proc): those with `dir` in their command line (the browser
 * with its --user-data-dir, its helpers, the two crash handlers, which leave
 * the browser's process group, with their --database), and the members of
 * the process groups they lead (Playwright starts the browser detached).
 * Zombies waiting to be reaped are not counted.
 */
export function chromiumProcesses(dir: string): number[] {
  const stat = (pid: string): { state: string; pgrp: number } | undefined => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ...".
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
    } catch {
      return undefined;
    }
  };
  let all: string[];
  try {
    all = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const leaders = new Set<number>();
  for (const pid of all) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/`)) leaders.add(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  if (leaders.size === 0) return [];
  return all.filter((pid) => {
    const s = stat(pid);
    return s !== undefined && s.state !== 'Z' && (leaders.has(Number(pid)) || leaders.has(s.pgrp));
  }).map(Number);
}

/** SIGKILLs what chromiumProcesses(dir) finds. */
function killChromium(dir: string): void {
  for (const pid of chromiumProcesses(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/**
 * Launches headless Chromium with a fresh temporary profile, and its page.
 * Its HOME and XDG_CONFIG_HOME point into the same temporary directory, so
 * it writes nothing in the real home (NSS database, crash reports).
 */
export async function openBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserHandle> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-chromium-'));
  browserDirs.add(dir);
  killAllAtExit();
  let context: BrowserContext | undefined;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      if (context) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([context.close().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        clearTimeout(timer);
      }
      killChromium(dir);
      browserDirs.delete(dir);
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    })());
  try {
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache') },
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1400, height: 900 },
      timeout: 30_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    // What a step waits for comes; on a loaded machine (CI with the other core busy) it may take longer than 10 s.
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`${err.message}\n${err.stack ?? ''}`));
    const browser = context.browser();
    if (!browser) throw new Error('Playwright gave no browser for the persistent context');
    return { browser, context, page, dir, errors: () => [...errors], close };
  } catch (err) {
    await close();
    throw err;
  }
}

// ---------------------------------------------------------------- the editor

/**
 * Whether Node-RED's trays are at rest: none is shown, or the last one opened
 * or uncovered has run all of RED.tray's timers. Those (0, 150, 200 and 300
 * ms after it shows) resize the top tray and its panes; a tray closed before
 * they ran has its panes' editors destroyed, and Node-RED 4.1 then throws
 * "Cannot read properties of null (reading 'resize')" in the page. The last of
 * them puts the editor stack's z-index back to 13 (raiseTrayZ); showing or
 * closing a tray sets it to 9.
 */
export const traysAtRest = (): boolean => {
  const g = globalThis as unknown as { document: { querySelector(s: string): { style: { zIndex: string } } | null; querySelectorAll(s: string): ArrayLike<unknown> } };
  return g.document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0 || g.document.querySelector('#red-ui-editor-stack')?.style.zIndex === '13';
};

/** Logs `username` in to the Node-RED at `url` (adminAuth credentials) with `scope`: the editor's bearer token. */
export async function editorToken(url: string, username: string, password: string, scope: string): Promise<string> {
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope, username, password }),
  });
  if (res.status !== 200) throw new Error(`${username} could not log in: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Waits until an edit tray is shown and at rest (traysAtRest): RED.tray's last timer has run, after those that
 * resize the tray and move the focus into it.
 */
export async function trayAtRest(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const g = globalThis as unknown as { document: { querySelector(s: string): { style: { zIndex: string } } | null } };
    return g.document.querySelector('#red-ui-editor-stack .red-ui-tray') !== null && g.document.querySelector('#red-ui-editor-stack')?.style.zIndex === '13';
  });
}

/** Opens the edit form of the node `id` and waits until `shown` (a selector in the form) is there and the tray at rest. */
export async function editNode(page: Page, id: string, shown = '#node-dialog-ok'): Promise<void> {
  await page.evaluate((nodeId) => {
    const red = (globalThis as unknown as { RED: { nodes: { node(id: string): unknown }; editor: { edit(node: unknown): void } } }).RED;
    red.editor.edit(red.nodes.node(nodeId));
  }, id);
  await page.locator(shown).waitFor();
  await trayAtRest(page);
}

/**
 * Waits until `check` (an async function run in the page, e.g. one that asks an admin API) answers true, asking
 * again every `pollMs` until `timeoutMs`. Playwright's waitForFunction cannot do this: it takes the promise an async
 * function returns as a truthy answer and returns at once.
 */
export async function untilInPage(page: Page, check: (arg: string) => Promise<boolean>, arg: string, what: string, timeoutMs = 20_000, pollMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(check, arg)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(pollMs);
  }
}

/**
 * Opens the editor at `url` and waits until it is ready: the palette lists
 * node types, the flows are loaded (a workspace tab shows) and the loading
 * bar is gone. With adminAuth, pass the user to log in with.
 */
export async function gotoEditor(page: Page, url: string, login?: { username: string; password: string }): Promise<void> {
  await page.goto(url);
  if (login) {
    await page.locator('#node-dialog-login-username').fill(login.username);
    await page.locator('#node-dialog-login-password').fill(login.password);
    await page.locator('#node-dialog-login-submit').click();
  }
  await page.locator('#red-ui-palette .red-ui-palette-node').first().waitFor();
  await page.locator('#red-ui-workspace-tabs li.red-ui-tab').first().waitFor();
  await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden' });
}

/**
 * Why the editor cannot be measured in Chinese here, or undefined when it
 * can: without a font with Chinese glyphs (fontconfig's `fc-list :lang=zh`),
 * Chromium draws each as a box about 8 px wide instead of 14, so widths
 * measured in zh-CN would be wrong. Debian's fonts-wqy-microhei has them
 * (.ci/run installs it).
 */
export function cjkFontMissing(): string | undefined {
  try {
    if (execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim()) return undefined;
  } catch {
    // No fontconfig: no font either.
  }
  return 'no font with Chinese glyphs (fc-list :lang=zh lists none): the zh-CN layout was not measured (apt-get install fonts-wqy-microhei, as .ci/run does, to measure it)';
}

/** Reloads the editor at `url` in the language `lang` (Node-RED's own "editor-language" setting, as its settings dialog stores it). */
export async function gotoEditorIn(page: Page, url: string, lang: string): Promise<void> {
  await page.evaluate((l) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('editor-language', l), lang);
  await gotoEditor(page, url);
  const shown = await page.evaluate(() => (globalThis as unknown as { RED: { i18n: { lang(): string } } }).RED.i18n.lang());
  if (shown !== lang) throw new Error(`the editor shows ${shown}, not ${lang}`);
}

// ---------------------------------------------------------------- mocha

/**
 * For a describe block: a real Node-RED running `flows` and a Chromium on its
 * editor, started once for the block (both at once) and ended after it,
 * whatever happened. `ready` waits for what the tests need before the editor
 * opens (a log line, say); `options` lays settings over the playground's
 * (adminAuth, say) and logs the editor in. Without Chromium the block is reported as
 * skipped, with the reason; a failing test prints Node-RED's output and the
 * page's script errors.
 */
export function useEditor(
  flows: object[],
  ready?: (editor: EditorHandle) => Promise<unknown>,
  options: { settings?: EditorOptions['settings']; login?: { username: string; password: string } } = {},
): () => { editor: EditorHandle; browser: BrowserHandle } {
  let editor: EditorHandle | undefined;
  let browser: BrowserHandle | undefined;

  before(function () {
    const missing = chromiumMissing();
    if (missing === undefined) return;
    // Say why, in the test output, then mark every test of the block pending.
    console.log(`      SKIPPED: ${missing}`);
    this.skip();
  });

  before(async function () {
    // Both at once; each is kept as soon as it runs, so after() ends it even if the other failed.
    const started = await Promise.allSettled([
      startEditor({ flows, settings: options.settings }).then((e) => (editor = e)),
      openBrowser().then((b) => (browser = b)),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    if (ready) await ready(editor as EditorHandle);
    await gotoEditor((browser as BrowserHandle).page, (editor as EditorHandle).url, options.login);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(`      Node-RED's output:\n${editor?.logs().join('\n') ?? '(not started)'}`);
    console.log(`      the page's script errors:\n${browser?.errors().join('\n') ?? '(no browser)'}`);
    if (!browser) return;
    // Where the keyboard was, what the page showed: a lost keystroke or a covered field is told at once.
    const focused = await browser.page
      .evaluate(() => {
        const doc = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; value?: unknown } | null } }).document;
        const e = doc.activeElement;
        return e ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${typeof e.value === 'string' ? ` value=${JSON.stringify(e.value)}` : ''}` : '(none)';
      })
      .catch((err: Error) => `(unknown: ${err.message})`);
    console.log(`      the focused element: ${focused}`);
    const shot = path.join(os.tmpdir(), `callflow-browser-${process.pid}-${Date.now()}.png`);
    await browser.page.screenshot({ path: shot }).then(
      () => console.log(`      a screenshot of the page: ${shot}`),
      (err: Error) => console.log(`      no screenshot: ${err.message}`),
    );
  });

  after(async function () {
    await browser?.close();
    await editor?.stop();
  });

  return () => {
    if (!editor || !browser) throw new Error('the editor and the browser run only inside the describe block');
    return { editor, browser };
  };
}
