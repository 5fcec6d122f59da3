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
 */
import type { CallSession } from '../call/session';
import type { RouteSettings, RoutingTable } from '../schemas/routing';
import { CompiledRoutes } from './table';

export type FlowHandler = (session: CallSession, args: string[]) => void;

export type RouteLevel = 'dialplan' | 'number' | 'group' | 'account' | 'only-flow';

export type RouteResult =
  | { flow: string; handler: FlowHandler; level: RouteLevel; group?: string; settings: RouteSettings }
  | { refused: string; settings: RouteSettings };

export class FlowRouter {
  private readonly flows = new Map<string, FlowHandler>();
  private routes: CompiledRoutes | undefined;

  /** Registers a flow's entry point; throws when the name is taken (two entries would route ambiguously). */
  register(flow: string, handler: FlowHandler): () => void {
    if (this.flows.has(flow)) throw new Error(`flow "${flow}" already has an entry on this connection`);
    this.flows.set(flow, handler);
    return () => {
      if (this.flows.get(flow) === handler) this.flows.delete(flow);
    };
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

  /** The entry of a flow (a transfer to another flow calls it). */
  handlerOf(flow: string): FlowHandler | undefined {
    return this.flows.get(flow);
  }

  get names(): string[] {
    return [...this.flows.keys()];
  }

  route(session: CallSession, args: string[]): RouteResult {
    const match = this.routes?.lookup(session.dialed);
    const settings = match?.settings ?? {};
    const found = (flow: string, level: RouteLevel): RouteResult | undefined => {
      const handler = this.flows.get(flow);
      if (!handler) return undefined;
      const result: RouteResult = { flow, handler, level, settings };
      if (match?.group) result.group = match.group;
      return result;
    };
    const named = args[0]?.trim();
    if (named) {
      return found(named, 'dialplan') ?? { refused: `the dialplan asked for flow "${named}", which is not deployed (deployed: ${this.describe()})`, settings };
    }
    if (this.broken) return { refused: `the routing table of this connection is invalid (${this.broken})`, settings };
    if (match) {
      if (!match.flow || !match.level) {
        return { refused: `the routing table has no flow for ${session.dialed || 'an empty number'}: no number entry, no group and no account default`, settings };
      }
      const where = match.level === 'group' ? `group "${match.group ?? ''}"` : match.level === 'number' ? 'its number entry' : 'the account default';
      return found(match.flow, match.level) ?? { refused: `the routing table sends ${session.dialed} (${where}) to flow "${match.flow}", which is not deployed (deployed: ${this.describe()})`, settings };
    }
    if (this.flows.size === 1) {
      const [flow] = [...this.flows.keys()] as [string];
      return found(flow, 'only-flow') as RouteResult;
    }
    if (this.flows.size === 0) return { refused: `no flow is deployed on this connection (call to ${session.dialed})`, settings };
    return {
      refused: `the call to ${session.dialed} names no flow and ${this.flows.size} are deployed (${this.describe()}); pass the flow name in Stasis(app,<flow>) or add a routing table`,
      settings,
    };
  }

  private describe(): string {
    return this.flows.size === 0 ? 'none' : [...this.flows.keys()].join(', ');
  }
}
