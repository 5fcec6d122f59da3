/**
 * The example flows as a newcomer first sees them on the canvas: no node
 * covers another, and the status a node shows below itself is not hidden
 * under the node below. Sizes follow Node-RED's editor (view.js): a node is
 * max(100, 20 * ceil((label width + 50 + 7) / 20)) wide and max(30, outputs *
 * 15) high, centred on its x, y; its status is drawn 3 px below it in 9pt
 * text. Label and status widths are estimated per character, generously
 * (7 px a Latin character of a label, 14 px a CJK one; 6.5 px a status
 * character), in English and Chinese, so the check holds in both languages.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT, readExamples } from '../lib/playground/home';

type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string; x?: number; y?: number; name?: string };
interface Box { left: number; top: number; right: number; bottom: number }

const MARGIN = 10;
/** Status texts are at most this many characters, by node type (the longest a user sees in the examples' runs). */
const STATUS_CHARS: Record<string, number> = { 'callflow-dialer': 60, 'callflow-contacts': 40, 'callflow-report': 40, 'callflow-entry': 32, 'callflow-result': 24 };
const DEFAULT_STATUS_CHARS = 20;

function catalog(lang: string, type: string): Record<string, unknown> {
  const file = path.join(PACKAGE_ROOT, 'locales', lang, `${type.replace(/^callflow-/, '')}.json`);
  return fs.existsSync(file) ? ((JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)[type] ?? {}) : {};
}

/** A field's value as the label shows it (fields are strings or numbers in flow files). */
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** The label the editor shows, as each node's label() builds it (en-US or zh-CN palette label). */
function label(n: FlowNode, all: FlowNode[], lang: string): string {
  if (typeof n.name === 'string' && n.name) return n.name;
  const palette = str(catalog(lang, n.type).paletteLabel) || n.type;
  const campaign = all.find((c) => c.id === n.campaign);
  const suffix: Record<string, string> = {
    'callflow-entry': `: ${str(n.flow)}${n.releases && n.version ? ` ${str(n.version)}` : ''}`,
    'callflow-contacts': campaign?.name ? `: ${str(campaign.name)}` : '',
    'callflow-dialer': campaign?.name ? `: ${str(campaign.name)}` : '',
    'callflow-report': campaign?.name ? `: ${str(campaign.name)}` : '',
    'callflow-result': `: ${n.result ? str(n.result) + (n.subResult ? ` / ${str(n.subResult)}` : '') : 'msg.result'}`,
    'callflow-hangup': n.reason && n.reason !== 'normal' ? ` (${str(n.reason)})` : '',
    'callflow-call-end': n.flow ? `: ${str(n.flow)}` : '',
    'callflow-response': ` ${str(n.code)} ${str(n.reason)}`,
  };
  return palette + (suffix[n.type] ?? '');
}

function textWidth(text: string, latin: number): number {
  let width = 0;
  for (const ch of text) width += /[\u2e80-\uffff]/.test(ch) ? latin * 2 : latin;
  return width;
}

function nodeBox(n: FlowNode, all: FlowNode[]): Box {
  const labelWidth = Math.max(...['en-US', 'zh-CN'].map((lang) => textWidth(label(n, all, lang), 7)));
  const w = Math.max(100, 20 * Math.ceil((labelWidth + 50 + 7) / 20));
  const outputs = Array.isArray(n.wires) ? n.wires.length : 0;
  const h = Math.max(30, outputs * 15);
  const x = Number(n.x);
  const y = Number(n.y);
  return { left: x - w / 2, top: y - h / 2, right: x + w / 2, bottom: y + h / 2 };
}

/** Where the node's status goes: 3 px below it, from its left edge, one line of 9pt text after a 15 px dot. */
function statusBox(n: FlowNode, box: Box): Box {
  const chars = STATUS_CHARS[n.type] ?? DEFAULT_STATUS_CHARS;
  return { left: box.left + 3, top: box.bottom + 3, right: box.left + 3 + 15 + chars * 6.5 + 6, bottom: box.bottom + 3 + 17 };
}

function overlap(a: Box, b: Box, margin: number): boolean {
  return a.left < b.right + margin && b.left < a.right + margin && a.top < b.bottom + margin && b.top < a.bottom + margin;
}

/** Our nodes show a status; a debug node only when set to (tostatus); comments and injects none. */
const showsStatus = (n: FlowNode): boolean => n.type.startsWith('callflow-') || (n.type === 'debug' && n.tostatus === true);

describe('the examples on the canvas', function () {
  for (const example of readExamples()) {
    describe(example.name, function () {
      const all = example.nodes as FlowNode[];
      const onCanvas = all.filter((n) => typeof n.x === 'number' && typeof n.y === 'number' && typeof n.z === 'string');

      it('has nodes placed on its tabs', function () {
        assert.ok(onCanvas.length > 0, `${example.name}: no node has x, y and a tab`);
      });

      it('has no node overlapping another', function () {
        const clashes: string[] = [];
        for (const [i, a] of onCanvas.entries()) {
          for (const b of onCanvas.slice(i + 1)) {
            if (a.z === b.z && overlap(nodeBox(a, all), nodeBox(b, all), MARGIN)) clashes.push(`${a.type} "${label(a, all, 'en-US')}" (${a.x}, ${a.y}) and ${b.type} "${label(b, all, 'en-US')}" (${b.x}, ${b.y})`);
          }
        }
        assert.deepEqual(clashes, [], `${example.name}: nodes overlap`);
      });

      it('has no status text under another node', function () {
        const hidden: string[] = [];
        for (const a of onCanvas.filter(showsStatus)) {
          const status = statusBox(a, nodeBox(a, all));
          for (const b of onCanvas) {
            if (b !== a && b.z === a.z && overlap(status, nodeBox(b, all), 0)) hidden.push(`the status of ${a.type} "${label(a, all, 'en-US')}" (${a.x}, ${a.y}) falls under ${b.type} "${label(b, all, 'en-US')}" (${b.x}, ${b.y})`);
          }
        }
        assert.deepEqual(hidden, [], `${example.name}: statuses hidden`);
      });
    });
  }
});
