/**
 * callflow-campaign-form: a Node-RED plugin that carries the campaign form's
 * widgets (campaign-form.html: editable lists, dates, calling periods, retry
 * rules, the task type's and answering-machine detection's fields), which
 * nodes/campaign/campaign.html takes as RED.callflow.campaignForm. Apart
 * from the editor plugin (nodes/editor), which every node's form uses: only
 * the campaign's form needs these. Listed after it in package.json, so that
 * RED.callflow is there when it loads. Nothing to do on the runtime side.
 */
import type { NodeAPI } from '../red/api';

type PluginAPI = NodeAPI & { plugins: { registerPlugin(id: string, definition: { type: string }): void } };

export = function register(RED: PluginAPI): void {
  RED.plugins.registerPlugin('callflow-campaign-form', { type: 'callflow-campaign-form' });
};
