/**
 * Makes the store a callflow-store config node describes: embedded (a file,
 * relative to the Node-RED user directory) or MongoDB (connection string and
 * password from Node-RED credentials).
 */
import path from 'node:path';
import type { StoreConfig } from '../schemas/store-config';
import { EmbeddedThreadStore } from './embedded-thread';
import { MongoStore, describeUri } from './mongodb';
import { StoreError, type Store } from './port';

export interface StoreCredentials {
  uri?: string;
  username?: string;
  password?: string;
}

export interface MadeStore {
  store: Store;
  /** Where it is, safe to log and show. */
  where: string;
  /** Texts to keep out of every message. */
  secrets: string[];
}

export function makeStore(config: StoreConfig, credentials: StoreCredentials, userDir: string): MadeStore {
  if (config.backend === 'embedded') {
    const file = path.isAbsolute(config.file) ? config.file : path.join(userDir, config.file);
    // On a thread of its own: a commit that waits for the disk does not hold Node-RED's event loop (embedded-thread.ts).
    return { store: new EmbeddedThreadStore({ file, durability: config.durability }), where: `embedded file ${file}`, secrets: [] };
  }
  const uri = (credentials.uri ?? '').trim();
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) {
    throw new StoreError('invalid', 'connection string: a mongodb:// or mongodb+srv:// URL is required (set it in the node; it is kept as a credential)');
  }
  const store = new MongoStore({
    uri,
    database: config.database,
    ...(credentials.username ? { username: credentials.username, password: credentials.password ?? '' } : {}),
    tls: config.tls || undefined,
    ...(config.tlsCAFile ? { tlsCAFile: config.tlsCAFile } : {}),
    ...(config.tlsCertificateKeyFile ? { tlsCertificateKeyFile: config.tlsCertificateKeyFile } : {}),
    tlsAllowInvalidCertificates: config.tlsAllowInvalidCertificates,
    writeConcern: { w: config.writeConcern === 'majority' ? 'majority' : Number(config.writeConcern), journal: config.journal },
  });
  const secrets = [uri, credentials.password ?? ''].filter((s) => s.length > 0);
  // The password inside the URI too, in case a message quotes it alone.
  const inUri = /^mongodb(?:\+srv)?:\/\/[^:@/]*:([^@/]+)@/.exec(uri)?.[1];
  if (inUri) secrets.push(inUri, decodeURIComponent(inUri));
  return { store, where: `${describeUri(uri)} database ${config.database}`, secrets };
}

export { StoreConnection, type StoreState, type StoreStatus } from './connection';
export { StoreError, type Store } from './port';
