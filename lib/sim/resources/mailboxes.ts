/**
 * The ARI `mailboxes` resource (res/ari/resource_mailboxes.c).
 */
import { AriHttpError } from '../route';

export class Mailboxes {
  private readonly mailboxes = new Map<string, { old: number; new: number }>();

  mailbox(name: string, counts?: { old: number; new: number }, remove = false): { name: string; old_messages: number; new_messages: number } | undefined {
    if (counts) {
      this.mailboxes.set(name, counts);
      return undefined;
    }
    const m = this.mailboxes.get(name);
    if (!m) throw new AriHttpError(404, 'Mailbox not found');
    if (remove) {
      this.mailboxes.delete(name);
      return undefined;
    }
    return { name, old_messages: m.old, new_messages: m.new };
  }

  mailboxList(): { name: string; old_messages: number; new_messages: number }[] {
    return [...this.mailboxes.entries()].map(([name, m]) => ({ name, old_messages: m.old, new_messages: m.new }));
  }
}
