/**
 * The ARI `deviceStates` resource (res/ari/resource_device_states.c).
 */
import { AriHttpError } from '../route';

export class DeviceStates {
  private readonly deviceStates = new Map<string, string>();

  deviceState(name: string, state?: string, remove = false): { name: string; state: string } | undefined {
    if (!name) throw new AriHttpError(404, 'Device name is missing');
    if (!name.startsWith('Stasis:') && (state !== undefined || remove)) throw new AriHttpError(409, 'Uncontrolled device specified');
    if (remove) {
      this.deviceStates.delete(name);
      return undefined;
    }
    if (state !== undefined) {
      this.deviceStates.set(name, state);
      return undefined;
    }
    return { name, state: this.deviceStates.get(name) ?? 'UNKNOWN' };
  }

  deviceStateList(): { name: string; state: string }[] {
    return [...this.deviceStates.entries()].map(([name, state]) => ({ name, state }));
  }
}
