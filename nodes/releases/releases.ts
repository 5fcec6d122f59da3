/**
 * callflow-releases: the versions of IVR flows and their release states
 * (New, Editing, Unreleased, Official Release, Gray Release), kept in a
 * callflow-store. Each version is a tab whose callflow-entry names the flow,
 * the version and this node. After every deploy the node tells its book
 * which versions are deployed (and which entries carry a release tag); the
 * editor's "Call flows" sidebar works through the admin API
 * (nodes/admin/releases.ts). The book itself is lib/releases/book.ts.
 */
import { ReleaseBook } from '../../lib/releases/book';
import { releasesConfig } from '../../lib/schemas/releases';
import type { Store } from '../../lib/store/port';
import { registerExecutionsApi } from '../admin/executions';
import { registerReleasesApi } from '../admin/releases';
import { findEngine, listEngines } from '../deployed/engine';
import { translator } from '../red/i18n';
import { nodeLogger } from '../red/logger';
import type { Node, NodeAPI, NodeDef } from '../red/api';
import { dropBook, findBook, keepBook } from '../deployed/releases';
import { listStores } from '../deployed/stores';
import type { ReleasesConfigNode } from './config';
import { deployedVersions, liveCalls } from './deployed';

/** How often lock timeouts and replaced versions are looked at. */
const TICK_MS = 5000;
/** How long a deploy waits for a store that is still opening. */
const STORE_WAIT_MS = 10_000;

function storeOf(id: string): Promise<Store> {
  const deployed = listStores().find((s) => s.id === id);
  if (!deployed) return Promise.reject(new Error(`the store ${id} is not deployed`));
  return deployed.connection.available(STORE_WAIT_MS);
}

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'releases');
  registerReleasesApi(RED);
  registerExecutionsApi(RED);

  function ReleasesNode(this: ReleasesConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as { -readonly [K in keyof ReleasesConfigNode]: ReleasesConfigNode[K] };
    node.book = undefined;
    const check = releasesConfig.checkForm(def);
    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
      return;
    }
    const storeId = check.value.store;
    // A book whose store changed starts again from the new store.
    let book = findBook(node.id);
    if (book && storeIds.get(book) !== storeId) {
      void book.close();
      dropBook(book);
      book = undefined;
    }
    if (!book) {
      book = new ReleaseBook({
        id: node.id,
        store: () => storeOf(storeId),
        log: nodeLogger(node),
        liveCalls,
        configTypes: () => {
          const types = new Map<string, string>();
          RED.nodes.eachNode((n) => {
            if (!n.z) types.set(n.id, n.type);
          });
          return types;
        },
        mediaCheck: (connection) => {
          const engine = findEngine(connection);
          if (engine?.status.state !== 'connected') return undefined;
          return (uri) => engine.telephony.mediaExists(uri);
        },
      });
      storeIds.set(book, storeId);
      keepBook(book);
    }
    // The book logs through whichever instance of this node is deployed now.
    book.log = nodeLogger(node);
    node.book = book;
    const mine = book;
    mine.load().then(
      () => {
        for (const engine of listEngines()) engine.wakeRouting();
      },
      (err: unknown) => node.warn(t('callflow-releases.errors.load', { message: (err as Error).message })),
    );

    const onStarted = (event: { config?: { flows?: NodeDef[] } }): void => {
      const flows = event.config?.flows ?? [];
      // Is Referenced: every deployed node that names a flow, whichever release set its flow is in.
      mine.setReferences(flows);
      // The book logs what the deploy changed (through this node).
      void mine.reconcile(deployedVersions(flows, node.id)).then(() => {
        for (const engine of listEngines()) engine.wakeRouting();
      });
    };
    RED.events.on('flows:started', onStarted);
    const tick = setInterval(() => void mine.tick().catch(() => undefined), TICK_MS);
    tick.unref();

    node.on('close', (removed: boolean, done: () => void) => {
      RED.events.removeListener('flows:started', onStarted);
      clearInterval(tick);
      if (!removed) {
        // The book goes on (a redeploy, or Node-RED stopping): what it has counted is written now.
        mine.flush().then(
          () => done(),
          () => done(),
        );
        return;
      }
      dropBook(mine);
      mine.close().then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('callflow-releases', ReleasesNode as unknown as (this: Node, def: NodeDef) => void);
};

const storeIds = new WeakMap<ReleaseBook, string>();
