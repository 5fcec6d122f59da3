/** The deployed campaign config nodes of this Node-RED (for the admin API), and how a stage node finds its campaign. */
import type { CampaignSettings } from '../../lib/schemas/campaign';
import type { CampaignConfigNode } from '../campaign/config';
import type { Node, NodeAPI, NodeDef } from '../red/api';
import { INVALID_CONFIG } from '../red/status';

const campaigns = new Map<string, CampaignConfigNode>();

export function addCampaign(node: CampaignConfigNode): void {
  campaigns.set(node.id, node);
}

export function removeCampaign(node: CampaignConfigNode): void {
  if (campaigns.get(node.id) === node) campaigns.delete(node.id);
}

export function findCampaign(id: string): CampaignConfigNode | undefined {
  return campaigns.get(id);
}

export function listCampaigns(): CampaignConfigNode[] {
  return [...campaigns.values()];
}

/**
 * The deployed, valid campaign a stage node (contacts, dialer, report)
 * names in its `campaign` setting. Without one the node says so once (log
 * and status) and answers every msg with the same error, for Catch nodes;
 * the caller then sets up nothing else.
 */
export function stageCampaign(RED: NodeAPI, node: Node, def: NodeDef, whyNot: string): (CampaignConfigNode & { settings: CampaignSettings }) | undefined {
  const campaign = typeof def.campaign === 'string' ? (RED.nodes.getNode(def.campaign) as CampaignConfigNode | null) : null;
  if (campaign?.settings && campaign.problems.length === 0) return campaign as CampaignConfigNode & { settings: CampaignSettings };
  node.error(whyNot);
  node.status(INVALID_CONFIG);
  node.on('input', (_msg, _send, done) => done(new Error(whyNot)));
  return undefined;
}
