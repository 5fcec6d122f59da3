/**
 * callflow-meetings-sidebar: a Node-RED plugin that adds the editor's "Meetings" sidebar tab (meetings-sidebar.html):
 * the meetings in progress on every connection, their participants, and buttons to mute, unmute, kick, lock, unlock
 * and end; and, for each meeting rooms node that keeps records, a button that downloads them as CSV. It works only
 * through the admin API of nodes/admin/meetings.ts, which the conference and meeting-control nodes register.
 */
import type { NodeAPI } from '../red/api';

type PluginAPI = NodeAPI & { plugins: { registerPlugin(id: string, definition: { type: string }): void } };

export = function register(RED: PluginAPI): void {
  RED.plugins.registerPlugin('callflow-meetings-sidebar', { type: 'callflow-editor-sidebar' });
};
