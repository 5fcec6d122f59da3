/**
 * Stasis applications (res/res_stasis.c, res/ari/resource_applications.c):
 * a channel entering and leaving Stasis, what an application is subscribed to.
 */
import type { Application } from '../../ari/types';
import type { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class Applications {
  constructor(private readonly core: SimCore) {}

  /** Stasis(app,args): StasisStart goes straight to the app; the app is then subscribed to the channel. */
  enterStasis(ch: SimChannel, appName: string, args: string[]): void {
    const app = this.core.apps.get(appName);
    if (!app?.session) {
      ch.stasisApp = undefined;
      this.core.log.warn(`Stasis app '${appName}' not registered: call ${ch.id} from ${ch.caller.number} fails`);
      this.core.resources.channels.hangupChannel(ch, 16, 'system', `Stasis application '${appName}' is not registered (no WebSocket)`);
      return;
    }
    ch.stasisApp = appName;
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [appName, ...args].join(',') };
    // app_stasis.c app_exec clears STASISSTATUS first (pbx_builtin_setvar_helper): a ChannelVarset that only an
    // application already following the channel hears, as one that originated or created it (seen on Asterisk 22.11
    // built from releases/22: originated and external media channels get it before StasisStart, dialplan calls do not).
    this.core.resources.channels.writeVariable(ch, 'STASISSTATUS', '');
    this.core.publish('StasisStart', { args, channel: ch.json() }, { direct: appName });
    app.add(app.channels, ch.id, 'stasis');
  }

  /** Leaves Stasis: the app is unsubscribed first, then StasisEnd goes straight to it (as stasis_app_exec does). */
  leaveStasis(ch: SimChannel): void {
    const appName = ch.stasisApp;
    if (!appName) return;
    ch.stasisApp = undefined;
    const app = this.core.apps.get(appName);
    app?.remove(app.channels, ch.id, 'stasis');
    this.core.publish('StasisEnd', { channel: ch.json() }, { direct: appName });
    // app_stasis.c app_exec once stasis_app_exec returned (hung up or sent on): STASISSTATUS=SUCCESS, after StasisEnd
    // and before ChannelDestroyed (seen on Asterisk 22.11 built from releases/22).
    this.core.resources.channels.writeVariable(ch, 'STASISSTATUS', 'SUCCESS');
    if (app?.finished) this.core.apps.delete(appName);
  }

  applicationJson(name: string): Application {
    const app = this.core.apps.get(name);
    if (!app) throw new AriHttpError(404, 'Application not found');
    return {
      name,
      channel_ids: [...app.channels.keys()],
      bridge_ids: [...app.bridges.keys()],
      endpoint_ids: [],
      device_names: [],
      events_allowed: [],
      events_disallowed: [],
    };
  }

  applicationList(): Application[] {
    return [...this.core.apps.keys()].map((n) => this.applicationJson(n));
  }

  subscribe(appName: string, sources: string[], on: boolean): Application {
    const app = this.core.apps.get(appName);
    if (!app) throw new AriHttpError(404, 'Application not found');
    if (sources.length === 0) throw new AriHttpError(400, 'Missing parameter eventSource');
    for (const source of sources) {
      const [scheme, id = ''] = source.split(':');
      if (scheme === 'channel') {
        if (!this.core.channels.has(id)) throw new AriHttpError(422, 'Event source does not exist');
        if (on) app.add(app.channels, id, 'subscription');
        else if (!app.channels.get(id)?.has('subscription')) throw new AriHttpError(422, 'Event source was not subscribed to');
        else app.remove(app.channels, id, 'subscription');
      } else if (scheme === 'bridge') {
        if (!this.core.bridges.has(id)) throw new AriHttpError(422, 'Event source does not exist');
        if (on) app.add(app.bridges, id, 'subscription');
        else if (!app.bridges.get(id)?.has('subscription')) throw new AriHttpError(422, 'Event source was not subscribed to');
        else app.remove(app.bridges, id, 'subscription');
      } else if (scheme === 'endpoint' || scheme === 'deviceState') {
        // Accepted; the simulator raises no endpoint or device state events.
      } else {
        throw new AriHttpError(400, 'Invalid event source URI scheme');
      }
    }
    return this.applicationJson(appName);
  }
}
