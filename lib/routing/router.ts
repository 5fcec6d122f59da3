/**
 * Which IVR flow a new inbound call goes to. Entry nodes register their
 * flow names. A call goes to:
 *   1. the flow named by the first argument of Stasis() in the dialplan
 *      (exten => _X.,1,Stasis(callflow,sales)), when there is one;
 *   2. else, with a routing table: the flow of the dialed number's entry,
 *      else of its number group, else the account default;
 *   3. else, without a table: the only flow deployed on the connection.
 * A call that matches nothing is refused with the reason. The table's
 * settings (language, timeouts) for the dialed number come with the route,
 * whichever way the flow was chosen.
 *
 * A flow with versions (entries that belong to a release set) has one
 * entry per version; its chooser (the release book) picks the version of
 * each new call: the one a second Stasis argument names (a test call), a
 * gray version for its callers and share, else the official one.
 */
import type { CallSession } from '../call/session';
import type { RoutedConference } from '../conference/callflows';
import type { RouteSettings, RoutingTable } from '../schemas/routing';
import { CompiledRoutes } from './table';

/** The settings of a number the table says nothing about: one shared object (a call's settings are never changed in place). */
const NO_SETTINGS: RouteSettings = Object.freeze({});

export type FlowHandler = (session: CallSession, args: string[]) => void;

/** Picks the version of a flow a new call runs (lib/releases/book.ts). */
export interface VersionChooser {
  pick(flow: string, caller: string, requested?: string): { version: string } | { refused: string };
  /** Why no new call of `flow` could run now (no released version deployed), or undefined; picks nothing. */
  refusal?(flow: string): string | undefined;
  /** The release set's exception-handling flow (docs/releases.md), if it has one. */
  exceptionFlow?(): string | undefined;
}

/** The entry a call goes to: a flow's handler, and its version when the flow has versions. */
export type EntryChoice = { handler: FlowHandler; version?: string } | { refused: string };

export type RouteLevel = 'dialplan' | 'number' | 'group' | 'account' | 'only-flow';

export type RouteResult =
  | { flow: string; handler: FlowHandler; level: RouteLevel; group?: string; version?: string; settings: RouteSettings }
  | { refused: string; settings: RouteSettings; /** The flow the call was sent to, when one was named (it is not there, or refuses calls). */ flow?: string };

export class FlowRouter {
  private readonly flows = new Map<string, FlowHandler>();
  private readonly versioned = new Map<string, { chooser: VersionChooser; handlers: Map<string, FlowHandler> }>();
  private routes: CompiledRoutes | undefined;

  /** Registers a flow's entry point; throws when the name is taken (two entries would route ambiguously). */
  register(flow: string, handler: FlowHandler): () => void {
    if (this.flows.has(flow)) throw new Error(`flow "${flow}" already has an entry on this connection`);
    if (this.versioned.has(flow)) throw new Error(`flow "${flow}" already has versioned entries on this connection (an entry of a release set)`);
    this.flows.set(flow, handler);
    return () => {
      if (this.flows.get(flow) === handler) this.flows.delete(flow);
    };
  }

  /** Registers the entry of one version of a flow; throws when the version is taken or the flow has another kind of entry. */
  registerVersion(flow: string, version: string, chooser: VersionChooser, handler: FlowHandler): () => void {
    if (this.flows.has(flow)) throw new Error(`flow "${flow}" already has an entry without a version on this connection`);
    let entry = this.versioned.get(flow);
    if (entry && entry.chooser !== chooser) throw new Error(`flow "${flow}" belongs to another release set on this connection`);
    if (entry?.handlers.has(version)) throw new Error(`flow "${flow}" version ${version} already has an entry on this connection`);
    if (!entry) {
      entry = { chooser, handlers: new Map() };
      this.versioned.set(flow, entry);
    }
    const mine = entry;
    mine.handlers.set(version, handler);
    return () => {
      if (mine.handlers.get(version) !== handler) return;
      mine.handlers.delete(version);
      if (mine.handlers.size === 0 && this.versioned.get(flow) === mine) this.versioned.delete(flow);
    };
  }

  /** The entry a new call of `flow` goes to (a transfer to another flow asks too); undefined: no such flow here. */
  entryFor(flow: string, caller: string, requestedVersion?: string): EntryChoice | undefined {
    const plain = this.flows.get(flow);
    if (plain) return { handler: plain };
    const entry = this.versioned.get(flow);
    if (!entry) return undefined;
    const picked = entry.chooser.pick(flow, caller, requestedVersion);
    if ('refused' in picked) return picked;
    const handler = entry.handlers.get(picked.version);
    if (!handler) return { refused: `version ${picked.version} of flow "${flow}" has no entry on this connection` };
    return { handler, version: picked.version };
  }

  /**
   * Why a new call sent to `flow` by name (a campaign's answered call) would
   * be refused now: the flow is not deployed on this connection, or, with
   * versions, none is released and deployed. Undefined: it would be taken.
   * Asks the version chooser without picking (no gray draw).
   */
  refusal(flow: string): string | undefined {
    if (this.flows.has(flow)) return undefined;
    const entry = this.versioned.get(flow);
    if (!entry) return `flow "${flow}" is not deployed on this connection (deployed: ${this.describe()})`;
    if (entry.chooser.refusal) return entry.chooser.refusal(flow);
    const picked = entry.chooser.pick(flow, '');
    if ('refused' in picked) return picked.refused;
    return entry.handlers.has(picked.version) ? undefined : `version ${picked.version} of flow "${flow}" has no entry on this connection`;
  }

  /**
   * The exception-handling flow a failed call continues in, with the entry
   * that takes it: the one of the release set of `from` (the flow the call
   * failed in) when that set has one deployed here, else the first release
   * set's of this connection that has one (in the order their entries
   * registered). Never `from` itself. Undefined: none is deployed here, or
   * it refuses calls now.
   */
  exceptionEntry(caller: string, from?: string): { flow: string; handler: FlowHandler; version?: string } | undefined {
    const own = from ? this.versioned.get(from)?.chooser : undefined;
    const choosers = own ? [own, ...[...this.versioned.values()].map((e) => e.chooser).filter((c) => c !== own)] : [...this.versioned.values()].map((e) => e.chooser);
    const seen = new Set<VersionChooser>();
    for (const chooser of choosers) {
      if (seen.has(chooser)) continue;
      seen.add(chooser);
      const flow = chooser.exceptionFlow?.();
      if (!flow || flow === from || this.versioned.get(flow)?.chooser !== chooser) continue;
      const choice = this.entryFor(flow, caller);
      if (!choice || 'refused' in choice) continue;
      return choice.version === undefined ? { flow, handler: choice.handler } : { flow, handler: choice.handler, version: choice.version };
    }
    return undefined;
  }

  /** Whether `flow` is the exception-handling flow of its release set (it takes failed calls, not calls by default). */
  private isExceptionFlow(flow: string): boolean {
    const chooser = this.versioned.get(flow)?.chooser;
    return chooser?.exceptionFlow?.() === flow;
  }

  /** Why the connection's routing table could not be used; calls that need it are refused rather than routed by guess. */
  private broken: string | undefined;

  /**
   * Uses a routing table from now on (undefined: none). Throws on duplicate
   * numbers or groups. `invalid`: the connection names a table that is
   * broken (its problems).
   */
  setTable(table: RoutingTable | undefined, invalid?: string[]): void {
    this.routes = table ? new CompiledRoutes(table) : undefined;
    this.broken = !table && invalid && invalid.length > 0 ? invalid.join('; ') : undefined;
  }

  get hasTable(): boolean {
    return this.routes !== undefined;
  }

  get names(): string[] {
    return [...this.flows.keys(), ...this.versioned.keys()];
  }

  /** The routing table's conference settings for a dialed number, by level (none without a table). */
  conference(dialed: string): RoutedConference {
    return this.routes?.conference(dialed) ?? {};
  }

  route(session: CallSession, args: string[]): RouteResult {
    const match = this.routes?.lookup(session.dialed);
    const settings = match?.settings ?? NO_SETTINGS;
    const found = (flow: string, level: RouteLevel): RouteResult | undefined => {
      const choice = this.entryFor(flow, session.caller.number, level === 'dialplan' ? args[1]?.trim() || undefined : undefined);
      if (!choice) return undefined;
      if ('refused' in choice) return { refused: choice.refused, settings, flow };
      const result: RouteResult = { flow, handler: choice.handler, level, settings };
      if (choice.version !== undefined) result.version = choice.version;
      if (match?.group) result.group = match.group;
      return result;
    };
    const named = args[0]?.trim();
    if (named) {
      return found(named, 'dialplan') ?? { refused: `the dialplan asked for flow "${named}", which is not deployed (deployed: ${this.describe()})`, settings, flow: named };
    }
    if (this.broken) return { refused: `the routing table of this connection is invalid (${this.broken})`, settings };
    if (match) {
      if (!match.flow || !match.level) {
        return { refused: `the routing table has no flow for ${session.dialed || 'an empty number'}: no number entry, no group and no account default`, settings };
      }
      const where = match.level === 'group' ? `group "${match.group ?? ''}"` : match.level === 'number' ? 'its number entry' : 'the account default';
      return found(match.flow, match.level) ?? { refused: `the routing table sends ${session.dialed} (${where}) to flow "${match.flow}", which is not deployed (deployed: ${this.describe()})`, settings, flow: match.flow };
    }
    // The exception-handling flow takes failed calls; it is not "the only flow" a call without a name goes to.
    const candidates = [...this.flows.keys(), ...[...this.versioned.keys()].filter((f) => !this.isExceptionFlow(f))];
    const count = candidates.length;
    if (count === 1) return found(candidates[0] as string, 'only-flow') as RouteResult;
    if (count === 0) return { refused: `no flow is deployed on this connection (call to ${session.dialed})`, settings };
    return {
      refused: `the call to ${session.dialed} names no flow and ${count} are deployed (${this.describe()}); pass the flow name in Stasis(app,<flow>) or add a routing table`,
      settings,
    };
  }

  private describe(): string {
    const names = this.names;
    return names.length === 0 ? 'none' : names.join(', ');
  }
}
