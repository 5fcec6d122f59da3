/**
 * callflow-flow-test-panel: a Node-RED plugin with the Call flows sidebar's Flow test panel (flow-test-panel.html):
 * a test call through an Official or Gray version, step by step or from a JSON test case, its path drawn on the
 * canvas. It works only through the admin API of nodes/admin/flow-tests.ts (docs/releases.md, "Flow test").
 */
import type { NodeAPI } from '../red/api';

type PluginAPI = NodeAPI & { plugins: { registerPlugin(id: string, definition: { type: string }): void } };

export = function register(RED: PluginAPI): void {
  RED.plugins.registerPlugin('callflow-flow-test-panel', { type: 'callflow-editor-sidebar' });
};
