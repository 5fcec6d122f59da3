/**
 * Generates the ARI resource listing (/ari/api-docs/resources.json) and the
 * per-resource documents (/ari/api-docs/<resource>.json) in Asterisk's
 * Swagger 1.1 form from the route table and the model definitions, so the
 * documents describe exactly the operations the simulator serves.
 */
import { RESOURCES, type ResourceName, type SwaggerModel } from './models';
import type { ParamSpec, RouteSpec } from './route';

export const API_VERSION = '2.0.0';

interface SwaggerParameter {
  name: string;
  description: string;
  paramType: ParamSpec['in'];
  required: boolean;
  allowMultiple: boolean;
  dataType: string;
  defaultValue?: string | number | boolean;
  allowableValues?: { valueType: 'LIST'; values: readonly string[] } | { valueType: 'RANGE'; min: number };
}

interface SwaggerOperation {
  httpMethod: string;
  upgrade?: 'websocket';
  websocketProtocol?: 'ari';
  summary: string;
  nickname: string;
  responseClass: string;
  parameters?: SwaggerParameter[];
  errorResponses?: { code: number; reason: string }[];
}

export interface ResourceListing {
  apiVersion: string;
  swaggerVersion: '1.1';
  basePath: string;
  apis: { path: string; description: string }[];
}

export interface ApiDeclaration {
  apiVersion: string;
  swaggerVersion: '1.1' | '1.2';
  basePath: string;
  resourcePath: string;
  apis: { path: string; description: string; operations: SwaggerOperation[] }[];
  models: Record<string, SwaggerModel>;
}

export function resourceListing(basePath: string): ResourceListing {
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.1',
    basePath,
    apis: RESOURCES.map((r) => ({ path: `/api-docs/${r.name}.{format}`, description: r.description })),
  };
}

function parameter(p: ParamSpec): SwaggerParameter {
  const out: SwaggerParameter = {
    name: p.name,
    description: p.description,
    paramType: p.in,
    required: p.required ?? false,
    allowMultiple: p.multiple ?? false,
    dataType: p.type,
  };
  if (p.default !== undefined) out.defaultValue = p.default;
  if (p.values) out.allowableValues = { valueType: 'LIST', values: p.values };
  else if (p.min !== undefined) out.allowableValues = { valueType: 'RANGE', min: p.min };
  return out;
}

function operation(route: RouteSpec): SwaggerOperation {
  const op: SwaggerOperation = {
    httpMethod: route.method,
    summary: route.summary,
    nickname: route.nickname,
    responseClass: route.responseClass,
  };
  if (route.websocket) {
    op.upgrade = 'websocket';
    op.websocketProtocol = 'ari';
  }
  if (route.params && route.params.length > 0) op.parameters = route.params.map(parameter);
  if (route.errors && route.errors.length > 0) op.errorResponses = route.errors.map((e) => ({ ...e }));
  return op;
}

/** The API declaration of one resource, or undefined for an unknown resource name. */
export function apiDeclaration(resource: string, routes: readonly RouteSpec[], basePath: string): ApiDeclaration | undefined {
  const entry = RESOURCES.find((r) => r.name === resource);
  if (!entry) return undefined;
  const apis: ApiDeclaration['apis'] = [];
  for (const route of routes.filter((r) => r.resource === (resource as ResourceName))) {
    let api = apis.find((a) => a.path === route.path);
    if (!api) {
      api = { path: route.path, description: describePath(route.path), operations: [] };
      apis.push(api);
    }
    api.operations.push(operation(route));
  }
  const models: Record<string, SwaggerModel> = {};
  for (const m of entry.models) models[m.id] = m;
  return {
    apiVersion: API_VERSION,
    swaggerVersion: resource === 'events' ? '1.2' : '1.1',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis,
    models,
  };
}

function describePath(path: string): string {
  const last = path.split('/').filter(Boolean).pop() ?? path;
  return last.startsWith('{') ? `Operations on a single ${last.slice(1, -1).replace(/Id$|Name$/, '')}` : `Operations on ${last}`;
}
