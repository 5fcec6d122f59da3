/** The callflow-store config node: where flow versions, campaigns, contacts and results are kept. */
import { Validator } from './validator';

export interface StoreConfig {
  name?: string;
  backend: 'embedded' | 'mongodb';
  /** Embedded: the database file, relative to the Node-RED user directory unless absolute. */
  file: string;
  /** Embedded: 'full' survives power loss, 'normal' survives a crash of Node-RED (faster). */
  durability: 'full' | 'normal';
  /** MongoDB: the database name. */
  database: string;
  /** MongoDB: connect with TLS (also implied by mongodb+srv:// and tls=true in the connection string). */
  tls: boolean;
  /** MongoDB: a CA file to trust (PEM), a client certificate and key file (PEM). */
  tlsCAFile: string;
  tlsCertificateKeyFile: string;
  /** MongoDB: accept any server certificate (testing only). */
  tlsAllowInvalidCertificates: boolean;
  /** MongoDB write concern: 'majority' or a number of members. */
  writeConcern: string;
  /** MongoDB: wait for the journal before acknowledging. */
  journal: boolean;
}

export const storeConfig = new Validator<StoreConfig>('callflow-store', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    backend: { type: 'string', enum: ['embedded', 'mongodb'], default: 'embedded', description: 'embedded or mongodb' },
    file: {
      type: 'string',
      pattern: '^[^\\u0000]{1,500}$',
      default: 'callflow.db',
      description: 'a file name or path (relative to the Node-RED user directory), e.g. callflow.db',
    },
    durability: { type: 'string', enum: ['full', 'normal'], default: 'full', description: 'full or normal' },
    database: {
      type: 'string',
      pattern: '^[^/\\\\. "$*<>:|?]{1,63}$',
      default: 'callflow',
      description: 'a MongoDB database name: 1 to 63 characters, none of / \\ . space " $ * < > : | ?',
    },
    tls: { type: 'boolean', default: false, description: 'true or false' },
    tlsCAFile: { type: 'string', maxLength: 500, default: '', description: 'a file path of at most 500 characters' },
    tlsCertificateKeyFile: { type: 'string', maxLength: 500, default: '', description: 'a file path of at most 500 characters' },
    tlsAllowInvalidCertificates: { type: 'boolean', default: false, description: 'true or false' },
    writeConcern: { type: 'string', pattern: '^(majority|[0-9]{1,2})$', default: 'majority', description: 'majority or a number of members such as 1' },
    journal: { type: 'boolean', default: true, description: 'true or false' },
  },
  required: ['backend', 'file', 'durability', 'database', 'writeConcern'],
});
