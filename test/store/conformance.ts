/**
 * The store port's conformance suite: what every Store implementation
 * (lib/store/embedded.ts, lib/store/mongodb.ts) must do, said as tests of
 * the contract in lib/store/port.ts. A backend's test file calls
 * storeConformance with a factory that opens a fresh store on empty data;
 * `second()` opens another store on the same data (another process, as far
 * as the store can tell) for the concurrency tests. The parts are cut along
 * the port's seams: contacts and claims, progress and listings, documents.
 *
 * Times are fixed numbers passed in, as the port requires: the store never
 * reads the clock for domain decisions.
 */
import { contactConformance } from './contacts-conformance';
import { documentConformance } from './documents-conformance';
import { conformanceSuite, type StoreHarness } from './harness';
import { progressConformance } from './progress-conformance';

export { fileStoreHarness, type StoreHarness } from './harness';

export function storeConformance(name: string, make: () => Promise<StoreHarness>, options: { skip?: string } = {}): void {
  conformanceSuite(`store conformance: ${name}`, make, options.skip, (live) => {
    contactConformance(live);
    progressConformance(live);
    documentConformance(live);
  });
}
