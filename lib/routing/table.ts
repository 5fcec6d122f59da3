/**
 * Looks a dialed number up in a routing table: the flow comes from the
 * number's own entry, else its group, else the account default; settings
 * are the account's, overridden by the group's, overridden by the
 * number's. Duplicate numbers and group names are refused when the table
 * is loaded, with what is duplicated.
 */
import type { RoutedConference } from '../conference/callflows';
import type { GroupRoute, NumberRoute, RouteSettings, RoutingTable } from '../schemas/routing';

export interface RouteMatch {
  /** The flow to run, if any level names one. */
  flow?: string;
  /** Where the flow came from. */
  level?: 'number' | 'group' | 'account';
  group?: string;
  settings: RouteSettings;
}

export class CompiledRoutes {
  private readonly byNumber = new Map<string, NumberRoute>();
  private readonly exactGroup = new Map<string, GroupRoute>();
  /** Prefix patterns, longest first (the most specific group wins). */
  private readonly prefixes: { prefix: string; group: GroupRoute }[] = [];

  constructor(readonly table: RoutingTable) {
    const problems: string[] = [];
    for (const n of table.numbers) {
      if (this.byNumber.has(n.number)) problems.push(`number ${n.number} is listed twice`);
      this.byNumber.set(n.number, n);
    }
    const names = new Set<string>();
    for (const g of table.groups) {
      if (names.has(g.name)) problems.push(`group "${g.name}" is listed twice`);
      names.add(g.name);
      for (const pattern of g.numbers) {
        if (pattern.endsWith('*')) {
          const prefix = pattern.slice(0, -1);
          const other = this.prefixes.find((p) => p.prefix === prefix);
          if (other) problems.push(`prefix ${pattern} is in groups "${other.group.name}" and "${g.name}"`);
          this.prefixes.push({ prefix, group: g });
        } else {
          const other = this.exactGroup.get(pattern);
          if (other) problems.push(`number ${pattern} is in groups "${other.name}" and "${g.name}"`);
          this.exactGroup.set(pattern, g);
        }
      }
    }
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
    if (problems.length > 0) throw new RangeError(`routing table: ${problems.join('; ')}`);
  }

  groupOf(dialed: string): GroupRoute | undefined {
    return this.exactGroup.get(dialed) ?? this.prefixes.find((p) => dialed.startsWith(p.prefix))?.group;
  }

  /** The conference settings of each level for a dialed number (the call flow is chosen in lib/conference/callflows.ts). */
  conference(dialed: string): RoutedConference {
    const routed: RoutedConference = {};
    const number = this.byNumber.get(dialed)?.conference;
    const group = this.groupOf(dialed)?.conference;
    const account = this.table.account.conference;
    if (account) routed.account = account;
    if (group) routed.group = group;
    if (number) routed.number = number;
    return routed;
  }

  lookup(dialed: string): RouteMatch {
    const number = this.byNumber.get(dialed);
    const group = this.groupOf(dialed);
    const settings: RouteSettings = { ...this.table.account.settings, ...group?.settings, ...number?.settings };
    const match: RouteMatch = { settings };
    if (group) match.group = group.name;
    if (number?.flow) {
      match.flow = number.flow;
      match.level = 'number';
    } else if (group?.flow) {
      match.flow = group.flow;
      match.level = 'group';
    } else if (this.table.account.flow) {
      match.flow = this.table.account.flow;
      match.level = 'account';
    }
    return match;
  }
}
