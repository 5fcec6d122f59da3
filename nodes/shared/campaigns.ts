/** The deployed campaign config nodes of this Node-RED, for the admin API (the editor's buttons and template export). */
import type { CampaignConfigNode } from '../campaign/config';

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
