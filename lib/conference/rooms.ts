/**
 * The meeting rooms of a callflow-meetings node: which room and role an access code leads to. Codes are digits,
 * unique across the rooms of the node (a host's and a participant's code alike); duplicate ids or codes are refused
 * when the rooms are loaded, naming what is duplicated.
 */
import type { MeetingRoom } from '../schemas/conference';

export type Role = 'host' | 'participant';

export class MeetingRooms {
  private readonly byCode = new Map<string, { room: MeetingRoom; role: Role }>();
  private readonly byIdMap = new Map<string, MeetingRoom>();

  constructor(readonly rooms: readonly MeetingRoom[]) {
    const problems: string[] = [];
    for (const room of rooms) {
      if (this.byIdMap.has(room.id)) problems.push(`room id "${room.id}" is used twice`);
      this.byIdMap.set(room.id, room);
      const codes: [string, Role][] = [[room.participantCode, 'participant']];
      if (room.hostCode) codes.push([room.hostCode, 'host']);
      for (const [code, role] of codes) {
        const other = this.byCode.get(code);
        if (other) problems.push(`code ${code} leads into room "${other.room.id}" (${other.role}) and room "${room.id}" (${role})`);
        else this.byCode.set(code, { room, role });
      }
    }
    if (problems.length > 0) throw new RangeError(`meeting rooms: ${problems.join('; ')}`);
  }

  /** The room and role a code leads to, if any. */
  lookup(code: string): { room: MeetingRoom; role: Role } | undefined {
    return this.byCode.get(code);
  }

  byId(id: string): MeetingRoom | undefined {
    return this.byIdMap.get(id);
  }
}
