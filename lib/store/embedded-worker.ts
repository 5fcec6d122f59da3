/**
 * The worker thread of EmbeddedThreadStore (embedded-thread.ts): it owns
 * the SQLite connection (an EmbeddedStore) and runs each call the main
 * thread posts, in the order posted, replying with the value or the error.
 * Nothing else runs here, so a commit that waits for the disk waits here,
 * not on Node-RED's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EmbeddedStore, type EmbeddedOptions } from './embedded';
import { StoreError } from './port';
import type { StoreCall, StoreReply } from './embedded-thread';

const port = parentPort;
if (!port) throw new Error('embedded-worker runs as a worker thread of EmbeddedThreadStore');

const store = new EmbeddedStore(workerData as EmbeddedOptions);
const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

port.on('message', (call: StoreCall) => {
  const method = methods[call.method];
  const reply = (message: StoreReply): void => port.postMessage(message);
  if (typeof method !== 'function') {
    reply({ id: call.id, error: { name: 'TypeError', message: `the embedded store has no operation ${call.method}` } });
    return;
  }
  Promise.resolve()
    .then(() => method.apply(store, call.args))
    .then(
      (value) => reply({ id: call.id, value }),
      (err: unknown) =>
        reply({
          id: call.id,
          error: err instanceof StoreError ? { kind: err.kind, message: err.message } : { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) },
        }),
    );
});
