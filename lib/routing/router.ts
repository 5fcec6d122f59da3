/**
 * Which IVR flow a new inbound call goes to. Entry points register under a
 * flow name; a call names its flow with the first argument of Stasis() in
 * the dialplan (exten => _X.,1,Stasis(callflow,<flow>)), or, when exactly
 * one flow is deployed on the connection, goes to that one. A call that
 * matches nothing is refused with a clear reason. (The routing table by
 * number, number group and account default comes with the routing config.)
 */
import type { CallSession } from '../call/session';

export type FlowHandler = (session: CallSession, args: string[]) => void;

export type RouteResult = { flow: string; handler: FlowHandler } | { refused: string };

export class FlowRouter {
  private readonly flows = new Map<string, FlowHandler>();

  /** Registers a flow's entry point; throws when the name is taken (two entries would route ambiguously). */
  register(flow: string, handler: FlowHandler): () => void {
    if (this.flows.has(flow)) throw new Error(`flow "${flow}" already has an entry on this connection`);
    this.flows.set(flow, handler);
    return () => {
      if (this.flows.get(flow) === handler) this.flows.delete(flow);
    };
  }

  get names(): string[] {
    return [...this.flows.keys()];
  }

  route(session: CallSession, args: string[]): RouteResult {
    const named = args[0]?.trim();
    if (named) {
      const handler = this.flows.get(named);
      if (handler) return { flow: named, handler };
      return { refused: `the dialplan asked for flow "${named}", which is not deployed (deployed: ${this.describe()})` };
    }
    if (this.flows.size === 1) {
      const [flow, handler] = [...this.flows.entries()][0] as [string, FlowHandler];
      return { flow, handler };
    }
    if (this.flows.size === 0) return { refused: `no flow is deployed on this connection (call to ${session.dialed})` };
    return { refused: `the call to ${session.dialed} names no flow and ${this.flows.size} are deployed (${this.describe()}); pass the flow name in Stasis(app,<flow>)` };
  }

  private describe(): string {
    return this.flows.size === 0 ? 'none' : [...this.flows.keys()].join(', ');
  }
}
