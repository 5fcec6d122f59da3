/**
 * What a connection does with bridges, along ARI's bridges resource: create
 * (mixing unless told otherwise), add and remove channels, destroy (a bridge
 * already gone counts as destroyed). Playing into a bridge and recording it
 * are media operations (media-operations.ts).
 */
import { AriError } from './errors';
import type { Bridge } from './types';

/** What the bridge operations need of their connection: one ARI request, refused when not connected. */
export interface BridgePort {
  call<T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T>;
  /** The same for a request whose answer nobody reads: a 2xx answer's body is not parsed. */
  command(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<void>;
}

export class BridgeOperations {
  constructor(private readonly port: BridgePort) {}

  createBridge(options: { bridgeId?: string; type?: string; name?: string } = {}, signal?: AbortSignal): Promise<Bridge> {
    const params: Record<string, unknown> = { type: options.type ?? 'mixing' };
    if (options.name) params.name = options.name;
    if (options.bridgeId) return this.port.call('bridges', 'createWithId', { ...params, bridgeId: options.bridgeId }, signal);
    return this.port.call('bridges', 'create', params, signal);
  }

  /** Every bridge on Asterisk (GET /bridges), the application's and others'. */
  listBridges(signal?: AbortSignal): Promise<Bridge[]> {
    return this.port.call('bridges', 'list', {}, signal);
  }

  addToBridge(bridgeId: string, channelIds: string[], signal?: AbortSignal): Promise<void> {
    return this.port.command('bridges', 'addChannel', { bridgeId, channel: channelIds.join(',') }, signal);
  }

  removeFromBridge(bridgeId: string, channelIds: string[], signal?: AbortSignal): Promise<void> {
    return this.port.command('bridges', 'removeChannel', { bridgeId, channel: channelIds.join(',') }, signal);
  }

  /**
   * Music on hold into the bridge (POST /bridges/{id}/moh): Asterisk puts an Announcer channel playing the class
   * (default: the default class) into it, which everyone in the bridge hears until stopBridgeMoh.
   */
  startBridgeMoh(bridgeId: string, mohClass?: string, signal?: AbortSignal): Promise<void> {
    const params: Record<string, unknown> = { bridgeId };
    if (mohClass) params.mohClass = mohClass;
    return this.port.command('bridges', 'startMoh', params, signal);
  }

  /** Stops a bridge's music on hold; a bridge that plays none (409) or is gone (404) is not an error. */
  async stopBridgeMoh(bridgeId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.port.command('bridges', 'stopMoh', { bridgeId }, signal);
    } catch (err) {
      if (!(err instanceof AriError && (err.kind === 'not-found' || err.status === 409))) throw err;
    }
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    try {
      await this.port.command('bridges', 'destroy', { bridgeId });
    } catch (err) {
      if (!(err instanceof AriError && err.kind === 'not-found')) throw err;
    }
  }
}
