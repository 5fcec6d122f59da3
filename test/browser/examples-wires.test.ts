/**
 * The example flows' wires as Node-RED's editor draws them, in a real
 * browser (Debian's Chromium, headless) against a real Node-RED running the
 * examples: no wire passes through a node other than the two it joins.
 *
 * Nothing here re-implements the editor's geometry: each example's tab is
 * shown, and the node rectangles and wire paths are read from the SVG the
 * editor drew (a node's `rect.red-ui-flow-node`, sized by the editor from its
 * label and outputs; a wire's `path.red-ui-flow-link-line`, the editor's
 * Bézier from the output port to the input port), both in the canvas's
 * coordinates. Each wire is sampled every 2 px of its length, and a sample
 * inside another node's rectangle (grown by MARGIN) fails the test, naming
 * the example, the wire and the node. (A wire going back to a node at the
 * same height loops 25 px under its nodes, 35 px once one of them shows a
 * status: lay the examples out left to right, as they are now, and none
 * depends on when statuses arrive.) test/examples-layout.test.ts checks
 * that nodes do not overlap and statuses are not hidden, without a browser.
 * Checked in English and in Chinese (unnamed nodes' labels, hence widths,
 * differ); Chinese only where a font has its glyphs, else reported skipped.
 * Without /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { combineExamples, readExamples } from '../../lib/playground/home';
import { cjkFontMissing, gotoEditorIn, useEditor } from '../support/browser';

/** How close (px) a wire may pass to a node it does not join: a wire touching a node's border reads as entering it. */
const MARGIN = 3;
/** Distance (px) between two samples of a wire. */
const STEP = 2;

interface Rect { left: number; top: number; right: number; bottom: number }
interface DrawnNode { id: string; type: string; label: string; rect: Rect }
interface DrawnWire { source: string; port: number; target: string; points: [number, number][] }

/** The minimum of the DOM and the editor this test reads in the page (the tests are compiled without the DOM's types). */
interface SvgPoint { x: number; y: number; matrixTransform(m: unknown): SvgPoint }
interface SvgGraphics {
  getCTM(): unknown;
  ownerSVGElement: { createSVGPoint(): SvgPoint };
}
interface PageGlobal {
  RED: {
    workspaces: { show(id: string): void };
    view: { redraw(updateActive: boolean, sync: boolean): void };
    nodes: { node(id: string): { type: string } | undefined };
    utils: { getNodeLabel(node: unknown, fallback: string): string };
  };
  document: {
    querySelectorAll(selector: string): ArrayLike<unknown>;
  };
}
type NodeGroup = { id: string; __mainRect__: SvgGraphics & { getBBox(): { x: number; y: number; width: number; height: number } } };
type WirePath = SvgGraphics & {
  __data__: { source: { id: string }; target: { id: string }; sourcePort?: number };
  getTotalLength(): number;
  getPointAtLength(length: number): SvgPoint;
};

/** Shows the tab `tab` and reads its nodes and wires from the SVG the editor drew. */
async function drawn(page: Page, tab: string): Promise<{ nodes: DrawnNode[]; wires: DrawnWire[] }> {
  return page.evaluate(
    ({ tab, step }) => {
      const g = globalThis as unknown as PageGlobal;
      g.RED.workspaces.show(tab);
      g.RED.view.redraw(true, true);
      // Into the canvas's coordinates: what a shape's transforms (a node group's translate) make of a point.
      const toCanvas = (el: SvgGraphics, x: number, y: number): [number, number] => {
        const p = el.ownerSVGElement.createSVGPoint();
        p.x = x;
        p.y = y;
        const q = p.matrixTransform(el.getCTM());
        return [q.x, q.y];
      };
      const nodes = Array.from(g.document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group') as ArrayLike<NodeGroup>).map((group) => {
        const rect = group.__mainRect__;
        const b = rect.getBBox();
        const [left, top] = toCanvas(rect, b.x, b.y);
        const [right, bottom] = toCanvas(rect, b.x + b.width, b.y + b.height);
        const node = g.RED.nodes.node(group.id);
        const type = node?.type ?? '?';
        return { id: group.id, type, label: node ? g.RED.utils.getNodeLabel(node, type) : group.id, rect: { left, top, right, bottom } };
      });
      const wires = Array.from(g.document.querySelectorAll('#red-ui-workspace-chart path.red-ui-flow-link-line') as ArrayLike<WirePath>).map((path) => {
        const length = path.getTotalLength();
        const points: [number, number][] = [];
        for (let at = 0; at <= length; at += step) {
          const p = path.getPointAtLength(at);
          points.push(toCanvas(path, p.x, p.y));
        }
        const d = path.__data__;
        return { source: d.source.id, port: d.sourcePort ?? 0, target: d.target.id, points };
      });
      return { nodes, wires };
    },
    { tab, step: STEP },
  );
}

/** The wires of `nodes` that pass through a node they do not join, in words. */
function crossings(nodes: DrawnNode[], wires: DrawnWire[]): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const name = (id: string): string => {
    const n = byId.get(id);
    return n ? `${n.type} "${n.label}"` : id;
  };
  const found: string[] = [];
  for (const wire of wires) {
    for (const node of nodes) {
      if (node.id === wire.source || node.id === wire.target) continue;
      const r = node.rect;
      const inside = wire.points.find(([x, y]) => x > r.left - MARGIN && x < r.right + MARGIN && y > r.top - MARGIN && y < r.bottom + MARGIN);
      if (inside) {
        found.push(`the wire from ${name(wire.source)} output ${wire.port + 1} to ${name(wire.target)} passes through ${name(node.id)} (at ${Math.round(inside[0])}, ${Math.round(inside[1])})`);
      }
    }
  }
  return found;
}

describe("the examples' wires as the editor draws them", function () {
  this.timeout(90_000);
  const examples = readExamples();
  const running = useEditor(combineExamples(examples), (e) => e.waitForLog(/ARI .* connected/));

  // Node widths follow the labels, which are translated where a node has no name.
  for (const lang of ['en-US', 'zh-CN']) {
    describe(`in ${lang}`, function () {
      before(async function () {
        const missing = lang === 'en-US' ? undefined : cjkFontMissing();
        if (missing) {
          console.log(`      SKIPPED: ${missing}`);
          this.skip();
        }
        await gotoEditorIn(running().browser.page, running().editor.url, lang);
      });

      for (const example of examples) {
        const tabs = example.nodes.filter((n) => n.type === 'tab').map((n) => String(n.id));
        it(`${example.name}: no wire passes through a node it does not join`, async function () {
          const { page } = running().browser;
          assert.ok(tabs.length > 0, `${example.file} has no tab`);
          const problems: string[] = [];
          for (const tab of tabs) {
            const { nodes, wires } = await drawn(page, tab);
            const expected = example.nodes.filter((n) => n.z === tab && typeof n.x === 'number').length;
            // The editor drew every node of the tab, and a wire per connection: the check looked at the whole flow.
            assert.equal(nodes.length, expected, `${example.name}: the editor drew ${nodes.length} of the tab's ${expected} nodes`);
            const connections = example.nodes.filter((n) => n.z === tab).reduce((sum, n) => sum + (Array.isArray(n.wires) ? (n.wires as unknown[][]).flat().length : 0), 0);
            assert.equal(wires.length, connections, `${example.name}: the editor drew ${wires.length} of the tab's ${connections} wires`);
            problems.push(...crossings(nodes, wires));
          }
          assert.deepEqual(problems, [], `${example.name} (${lang}): wires pass through nodes`);
          assert.deepEqual(running().browser.errors(), []);
        });
      }
    });
  }
});
