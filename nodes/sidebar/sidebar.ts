/**
 * callflow-releases-sidebar: a Node-RED plugin that adds the editor's "Call
 * flows" sidebar tab (sidebar.html): every flow of every release set, its
 * versions and their state, and the operations each state allows. It works
 * only through the admin API of nodes/admin/releases.ts, which the
 * callflow-releases node registers; the runtime side has nothing else to do.
 */
import type { NodeAPI } from '../red/api';

type PluginAPI = NodeAPI & { plugins: { registerPlugin(id: string, definition: { type: string }): void } };

export = function register(RED: PluginAPI): void {
  RED.plugins.registerPlugin('callflow-releases-sidebar', { type: 'callflow-editor-sidebar' });
};
