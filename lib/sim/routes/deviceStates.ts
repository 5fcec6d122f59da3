/**
 * The ARI `deviceStates` resource (rest-api/api-docs/deviceStates.json, res/ari/resource_device_states.c).
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path, str } from './params';

export function deviceStateRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'deviceStates',
      method: 'GET',
      path: '/deviceStates',
      nickname: 'list',
      summary: 'All device states.',
      responseClass: 'List[DeviceState]',
      handle: () => ast.deviceStateList(),
    },
    {
      resource: 'deviceStates',
      method: 'GET',
      path: '/deviceStates/{deviceName}',
      nickname: 'get',
      summary: 'State of a device.',
      responseClass: 'DeviceState',
      params: [path('deviceName', 'Device name.')],
      handle: (a) => ast.deviceState(a.req('deviceName')),
    },
    {
      resource: 'deviceStates',
      method: 'PUT',
      path: '/deviceStates/{deviceName}',
      nickname: 'update',
      summary: 'Sets the state of a device the application controls (Stasis:<name>).',
      responseClass: 'void',
      params: [
        path('deviceName', 'Device name.'),
        str('deviceState', 'New state.', { required: true, values: ['NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD'] }),
      ],
      errors: [
        { code: 404, reason: 'Device name is missing' },
        { code: 409, reason: 'Uncontrolled device specified' },
      ],
      handle: (a) => {
        ast.deviceState(a.req('deviceName'), a.req('deviceState'));
      },
    },
    {
      resource: 'deviceStates',
      method: 'DELETE',
      path: '/deviceStates/{deviceName}',
      nickname: 'delete',
      summary: 'Removes a device the application controls.',
      responseClass: 'void',
      params: [path('deviceName', 'Device name.')],
      errors: [
        { code: 404, reason: 'Device name is missing' },
        { code: 409, reason: 'Uncontrolled device specified' },
      ],
      handle: (a) => {
        ast.deviceState(a.req('deviceName'), undefined, true);
      },
    },
  ];
}
