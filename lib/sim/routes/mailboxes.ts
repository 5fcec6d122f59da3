/**
 * The ARI `mailboxes` resource (rest-api/api-docs/mailboxes.json, res/ari/resource_mailboxes.c).
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { int, path } from './params';

export function mailboxRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'mailboxes',
      method: 'GET',
      path: '/mailboxes',
      nickname: 'list',
      summary: 'All mailboxes.',
      responseClass: 'List[Mailbox]',
      handle: () => ast.mailboxList(),
    },
    {
      resource: 'mailboxes',
      method: 'GET',
      path: '/mailboxes/{mailboxName}',
      nickname: 'get',
      summary: 'Message counts of a mailbox.',
      responseClass: 'Mailbox',
      params: [path('mailboxName', 'Mailbox name.')],
      errors: [{ code: 404, reason: 'Mailbox not found' }],
      handle: (a) => ast.mailbox(a.req('mailboxName')),
    },
    {
      resource: 'mailboxes',
      method: 'PUT',
      path: '/mailboxes/{mailboxName}',
      nickname: 'update',
      summary: 'Sets the message counts of a mailbox.',
      responseClass: 'void',
      params: [path('mailboxName', 'Mailbox name.'), int('oldMessages', 'Old message count.', { required: true }), int('newMessages', 'New message count.', { required: true })],
      errors: [{ code: 404, reason: 'Mailbox not found' }],
      handle: (a) => {
        ast.mailbox(a.req('mailboxName'), { old: a.int('oldMessages') ?? 0, new: a.int('newMessages') ?? 0 });
      },
    },
    {
      resource: 'mailboxes',
      method: 'DELETE',
      path: '/mailboxes/{mailboxName}',
      nickname: 'delete',
      summary: 'Removes a mailbox.',
      responseClass: 'void',
      params: [path('mailboxName', 'Mailbox name.')],
      errors: [{ code: 404, reason: 'Mailbox not found' }],
      handle: (a) => {
        ast.mailbox(a.req('mailboxName'), undefined, true);
      },
    },
  ];
}
