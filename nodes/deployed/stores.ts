/** The store connections of the deployed callflow-store config nodes, for the admin API and the nodes that use them. */
import type { StoreConnection } from '../../lib/store/connection';

export interface DeployedStore {
  id: string;
  name: string;
  backend: 'embedded' | 'mongodb';
  connection: StoreConnection;
}

const stores = new Map<string, DeployedStore>();

export function addStore(entry: DeployedStore): void {
  stores.set(entry.id, entry);
}

export function removeStore(id: string, connection: StoreConnection): void {
  if (stores.get(id)?.connection === connection) stores.delete(id);
}

export function listStores(): DeployedStore[] {
  return [...stores.values()];
}
