/**
 * The statuses a Chinese-speaking newcomer sees: a real Node-RED whose
 * runtime language is zh-CN (settings.lang) runs every example; the test
 * listens to the statuses the runtime sends the editor (the comms WebSocket,
 * as the editor does), words the keys as the editor would from the zh-CN
 * catalogs, and finds no English left in any of the package's nodes'
 * statuses: the dialer's progress, the versioned entries' release states,
 * the connections'.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { combineExamples, readExamples } from '../../lib/playground/home';
import { startEditor, type EditorHandle } from '../support/browser';

interface Status { fill?: string; shape?: string; text?: string }
type Catalogs = Record<string, Record<string, unknown>>;

const flows = combineExamples(readExamples()) as { id: string; type: string; releases?: string; name?: string }[];
const typeOf = new Map(flows.map((n) => [n.id, n.type]));

/** Words that may stay as they are in a Chinese status: product names, and names from the examples' own settings. */
const KEPT = /\b(Asterisk|ARI|TLS|callbackUrl|msg\.call|v\d+)\b/g;

function lookup(catalog: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((n, part) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[part] : undefined), catalog);
}

describe('statuses in a Node-RED whose runtime language is zh-CN', function () {
  this.timeout(90_000);
  let editor: EditorHandle | undefined;
  let socket: WebSocket | undefined;
  const latest = new Map<string, Status>();
  const listeners = new Set<() => void>();
  let catalogs: Catalogs = {};

  before(async function () {
    editor = await startEditor({ flows, settings: { lang: 'zh-CN' }, startedLine: /流程已启动/ });
    await editor.waitForLog(/ARI .* connected/, 30_000);
    catalogs = (await (await fetch(`${editor.url}/nodes/messages?lng=zh-CN`)).json()) as Catalogs;
    socket = new WebSocket(`${editor.url.replace(/^http/, 'ws')}/comms`);
    socket.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as { topic?: string; data?: Status } | { topic?: string; data?: Status }[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (!m.topic?.startsWith('status/')) continue;
        latest.set(m.topic.slice('status/'.length), m.data ?? {});
      }
      for (const l of listeners) l();
    });
    await new Promise<void>((resolve, reject) => {
      socket?.once('open', () => resolve());
      socket?.once('error', reject);
    });
    // Statuses are retained: subscribing brings every node's current one.
    socket.send(JSON.stringify({ subscribe: 'status/#' }));
  });

  after(async function () {
    socket?.close();
    await editor?.stop();
  });

  /** The status text as the editor shows it: a key is looked up in the node's zh-CN catalog (as the editor's node._ does). */
  function shown(id: string): string {
    const text = latest.get(id)?.text ?? '';
    if (!/^[@a-zA-Z]/.test(text)) return text;
    const translated = lookup(catalogs[`node-red-contrib-callflow/${typeOf.get(id) ?? ''}`], text);
    return typeof translated === 'string' ? translated : text;
  }

  /** Resolves once `ready` holds for the statuses received; fails after 30 s saying what was seen. */
  function until(ready: () => boolean, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ready()) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`${what} not seen within 30 s; statuses: ${JSON.stringify([...latest.keys()].map((id) => [typeOf.get(id), shown(id)]))}`));
      }, 30_000);
      listeners.add(check);
    });
  }

  it("shows the dialer's state and progress in Chinese", async function () {
    const dialers = flows.filter((n) => n.type === 'callflow-dialer').map((n) => n.id);
    assert.ok(dialers.length > 0);
    // A robot task's dialer (the Intelligent robot example's) names its task type.
    await until(() => dialers.every((id) => /^草稿 · (智能机器人外呼任务 · )?已拨 0，接通 0，失败 0，剩余 \d+/.test(shown(id))), "the dialers' draft status");
    assert.ok(dialers.some((id) => shown(id).startsWith('草稿 · 智能机器人外呼任务 · ')), 'the robot task says so');
  });

  it("shows the versioned entries' release states in Chinese", async function () {
    const entries = flows.filter((n) => n.type === 'callflow-entry' && n.releases).map((n) => n.id);
    assert.ok(entries.length >= 2);
    await until(() => entries.some((id) => /^v1：正式发布/.test(shown(id))) && entries.some((id) => /^v2：灰度发布 20% \+ 1 个主叫/.test(shown(id))), 'the entries\' official and gray states');
  });

  it("leaves no English in any of the package's nodes' statuses", async function () {
    await until(() => [...latest.keys()].some((id) => typeOf.get(id) === 'callflow-entry' && shown(id) === '已连接'), 'a connected entry');
    const english: string[] = [];
    let ours = 0;
    for (const id of latest.keys()) {
      const type = typeOf.get(id) ?? '';
      if (!type.startsWith('callflow-')) continue;
      const text = shown(id);
      if (text === '') continue;
      ours += 1;
      const left = text.replace(KEPT, '');
      if (/[A-Za-z]{2,}/.test(left) || !/[\u4e00-\u9fff]/.test(text)) english.push(`${type} ${id}: "${text}"`);
    }
    assert.ok(ours >= 10, `only ${ours} statuses of the package's nodes were seen`);
    assert.deepEqual(english, []);
  });
});
