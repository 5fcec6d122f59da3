/**
 * callflow-editor: a Node-RED plugin that carries the editor code every
 * callflow node shares (form validation with the package's JSON schemas,
 * the prompt list, connection state). Node-RED loads plugins before nodes,
 * so the nodes' editor code can rely on RED.callflow.
 */
import { registerAdminApi } from '../admin/connections';
import type { NodeAPI } from '../red/api';

type PluginAPI = NodeAPI & { plugins: { registerPlugin(id: string, definition: { type: string }): void } };

export = function register(RED: PluginAPI): void {
  registerAdminApi(RED);
  RED.plugins.registerPlugin('callflow-editor', { type: 'callflow-editor' });
};
