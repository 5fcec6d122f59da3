/**
 * The ARI `events` resource (res/ari/resource_events.c): the WebSockets that
 * subscribe applications, and user events.
 */
import { asteriskTime } from '../channel';
import { AriHttpError } from '../route';
import type { EventSession, SimCore } from './core';

export class Events {
  constructor(private readonly core: SimCore) {}

  /** A WebSocket subscribes to applications (GET /ari/events?app=...). */
  attachSession(session: EventSession, apps: string[], subscribeAll: boolean): void {
    for (const name of apps) {
      const app = this.core.app(name);
      if (app.session && app.session !== session) {
        // The old socket stays open but loses the application; it is told so first, with what app_update packs
        // (type, timestamp, application) and app_send adds (asterisk_id): nothing says who took it.
        app.session.send(JSON.stringify({ type: 'ApplicationReplaced', timestamp: asteriskTime(), application: name, asterisk_id: this.core.asteriskId }));
      }
      app.session = session;
      app.subscribeAll = subscribeAll;
      this.core.log.debug(`Activating Stasis app '${name}'`);
    }
  }

  /** The WebSocket went away: its applications become inactive; their channels stay in Stasis. */
  detachSession(session: EventSession): void {
    for (const app of this.core.apps.values()) {
      if (app.session === session) {
        app.session = undefined;
        app.subscribeAll = false;
        this.core.log.debug(`Deactivating Stasis app '${app.name}'`);
      }
    }
    for (const [name, app] of this.core.apps) if (app.finished) this.core.apps.delete(name);
  }

  /** Names of the applications that have a WebSocket now. */
  activeApps(): string[] {
    return [...this.core.apps.values()].filter((a) => a.session).map((a) => a.name);
  }

  userEvent(eventName: string, application: string | undefined, sources: string[], variables: Record<string, unknown> | undefined): void {
    if (!application) throw new AriHttpError(400, 'Missing parameter application');
    if (!this.core.apps.has(application)) throw new AriHttpError(404, 'Application not found');
    const fields: Record<string, unknown> = { eventname: eventName, userevent: variables ?? {} };
    for (const source of sources) {
      const [scheme, id = ''] = source.split(':');
      if (scheme === 'channel') {
        const ch = this.core.channels.get(id);
        if (!ch) throw new AriHttpError(422, 'Event source was not found');
        fields.channel = ch.json();
      } else if (scheme === 'bridge') {
        const b = this.core.bridges.get(id);
        if (!b) throw new AriHttpError(422, 'Event source was not found');
        fields.bridge = b.json();
      } else {
        throw new AriHttpError(400, 'Invalid event source URI scheme');
      }
    }
    this.core.publish('ChannelUserevent', fields, { direct: application });
  }
}
