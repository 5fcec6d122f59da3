/**
 * The store of a dialer parked across a full redeploy (Dialer.park()): on a
 * full deploy Node-RED closes the store node with the campaign node, so the
 * store the dialer had is closed, or about to be. Every call made while it
 * is parked (the end of a call in flight, a lease, a count) waits here, and
 * is made on the store of the instance that takes the dialer over once it
 * does (release()); when nobody does and the dialer closes (refuse()),
 * each is refused as a closed store refuses it, and one made later at once.
 *
 * Apart from dialer.ts because it is the store port itself, held: the
 * dialer's pieces reach the store through a getter and need not know.
 */
import { StoreError, type Store } from '../store/port';

type Call = (store: Store) => Promise<unknown>;

export class HeldStore {
  /** The calls waiting for the store of the dialer's next owner. */
  private readonly waiting = new Set<{ call: Call; resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private refused: StoreError | undefined;
  /** The new owner's store, once released (a call made through this one after that goes there at once). */
  private released: Store | undefined;
  /** What the dialer uses in place of its store while parked. */
  readonly store: Store;

  constructor(backend: Store['backend']) {
    const held = (key: string) => (...args: unknown[]): Promise<unknown> =>
      this.later((store) => (store[key as keyof Store] as (...a: unknown[]) => Promise<unknown>).apply(store, args));
    this.store = new Proxy({ backend } as Store, {
      get: (target, key) => (key === 'backend' ? target.backend : typeof key === 'string' && key !== 'then' ? held(key) : undefined),
    });
  }

  /** The dialer was taken over: what waited is made on its new store, in the order it was asked. */
  release(store: Store): void {
    this.released = store;
    const all = [...this.waiting];
    this.waiting.clear();
    // Each on its own: one that throws at once (not a method of the store) fails alone, not the release and the rest.
    for (const w of all) new Promise((resolve) => resolve(w.call(store))).then(w.resolve, w.reject);
  }

  /** The dialer closed while parked: what waited is refused, as by a closed store. */
  refuse(why: string): void {
    this.refused = new StoreError('failed', why);
    const all = [...this.waiting];
    this.waiting.clear();
    for (const w of all) w.reject(this.refused);
  }

  private later(call: Call): Promise<unknown> {
    if (this.refused) return Promise.reject(this.refused);
    if (this.released) return call(this.released);
    return new Promise((resolve, reject) => this.waiting.add({ call, resolve, reject }));
  }
}
