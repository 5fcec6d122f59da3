/**
 * The two applications bench/ivr runs the "IVR menu" with, behind one face:
 * the plugin (the example in a real Node-RED runtime embedded in this
 * process, bench/ivr-plugin.ts) and the anchor (bench/anchor-ivr-menu.ts,
 * the same flow written by hand against ARI). The plugin's modules are
 * loaded only when the plugin runs: the anchor's process holds none of them.
 */
import { IvrMenuAnchor } from './anchor-ivr-menu';
import type * as PluginModule from './ivr-plugin';

export type AppName = 'plugin' | 'anchor';

export interface AppUnderTest {
  name: AppName;
  /** Calls the application is handling now. */
  callCount(): number;
  onEnded(listener: () => void): void;
  /** After the calls: what the application still holds (a leak shows here). */
  leftovers(): string;
  stop(): Promise<void>;
}

/** The application `name`, connected to the simulator at `url` (the plugin as application "callflow", the anchor as `app`). */
export async function startApp(name: AppName, url: string, app: string): Promise<AppUnderTest> {
  if (name === 'anchor') return startAnchor(url, app);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = require('./ivr-plugin') as typeof PluginModule;
  return plugin.startPlugin(url);
}

/** The hand-written IVR menu, connected to the simulator at `url` as application `app`. */
export async function startAnchor(url: string, app: string): Promise<AppUnderTest> {
  const anchor = new IvrMenuAnchor({ url, username: 'asterisk', password: 'asterisk', app });
  await anchor.start();
  return {
    name: 'anchor',
    callCount: () => anchor.callCount,
    onEnded: (listener) => anchor.onEnded(listener),
    leftovers: () => `calls left in the anchor: ${anchor.callCount}`,
    stop: () => anchor.stop(),
  };
}
