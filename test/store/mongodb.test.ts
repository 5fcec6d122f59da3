/**
 * The MongoDB store: the same conformance suite, against the server that
 * MONGODB_URI names (each test on a fresh database, dropped afterwards),
 * and the error mapping that needs no server. Without MONGODB_URI the
 * suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { makeStore } from '../../lib/store';
import { MongoStore, describeUri, mongoError } from '../../lib/store/mongodb';
import { callRecordConformance } from './call-records-conformance';
import { storeConformance } from './conformance';
import { harnessOf, type StoreHarness } from './harness';

const uri = process.env.MONGODB_URI;

/** A fresh database per test, dropped afterwards. */
async function mongoHarness(): Promise<StoreHarness> {
  const database = `callflow_test_${randomBytes(4).toString('hex')}`;
  return harnessOf(
    () => new MongoStore({ uri: uri ?? '', database, serverSelectionTimeoutMs: 5000 }),
    async () => {
      const client = new MongoClient(uri ?? '');
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    },
  );
}

const skip = uri ? {} : { skip: 'MONGODB_URI is not set: the MongoDB half of the store conformance suite did not run (set MONGODB_URI=mongodb://host:27017 to run it)' };
storeConformance('mongodb', mongoHarness, skip);
callRecordConformance('mongodb', mongoHarness, skip);

describe('MongoDB store without a server', function () {
  it('names the hosts of a connection string, never its user or password', function () {
    assert.equal(describeUri('mongodb://app:S3cret@db1.example.net:27017,db2.example.net:27017/callflow?replicaSet=rs0'), 'mongodb://db1.example.net:27017,db2.example.net:27017');
    assert.equal(describeUri('mongodb+srv://app:S3cret@cluster0.example.net/?retryWrites=true'), 'mongodb+srv://cluster0.example.net');
    assert.equal(describeUri('not a uri'), 'a MongoDB connection string');
  });

  it('tells auth failures, unreachable servers and other errors apart', function () {
    assert.equal(mongoError(Object.assign(new Error('Authentication failed.'), { name: 'MongoServerError', code: 18 }), 'opening').kind, 'auth');
    assert.equal(mongoError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoServerSelectionError' }), 'opening').kind, 'unreachable');
    assert.equal(mongoError(Object.assign(new Error('not authorized on callflow to execute command'), { name: 'MongoServerError', code: 13 }), 'writing').kind, 'auth');
    const other = mongoError(Object.assign(new Error('E11000 something'), { name: 'MongoServerError', code: 11000 }), 'writing');
    assert.equal(other.kind, 'failed');
    assert.match(other.message, /^writing: E11000 something$/);
  });

  it('keeps the connection string and the password out of what it shows', function () {
    const made = makeStore(
      { backend: 'mongodb', file: 'x', durability: 'full', database: 'callflow', tls: false, tlsCAFile: '', tlsCertificateKeyFile: '', tlsAllowInvalidCertificates: false, writeConcern: 'majority', journal: true },
      { uri: 'mongodb://app:p%40ss-W0rd@db1:27017/?replicaSet=rs0', password: 'Other-Secret' },
      '/tmp',
    );
    assert.equal(made.where, 'mongodb://db1:27017 database callflow');
    assert.ok(made.secrets.includes('p%40ss-W0rd') && made.secrets.includes('p@ss-W0rd') && made.secrets.includes('Other-Secret'));
  });

  it('refuses a malformed connection string without echoing it', async function () {
    const store = new MongoStore({ uri: 'mongodb://app:S3cret@', database: 'callflow' });
    await assert.rejects(store.open(), (err: Error) => {
      assert.ok(!err.message.includes('S3cret'), err.message);
      return true;
    });
  });
});
