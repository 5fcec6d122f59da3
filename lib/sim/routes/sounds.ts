/**
 * The ARI `sounds` resource (rest-api/api-docs/sounds.json, res/ari/resource_sounds.c).
 */
import { AriHttpError, type RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path, str } from './params';

export function soundRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'sounds',
      method: 'GET',
      path: '/sounds',
      nickname: 'list',
      summary: 'The sound files this system has.',
      responseClass: 'List[Sound]',
      params: [str('lang', 'Only sounds in this language.'), str('format', 'Only sounds in this format.')],
      handle: (a) => {
        const filter: { lang?: string; format?: string } = {};
        const lang = a.str('lang');
        if (lang !== undefined) filter.lang = lang;
        const format = a.str('format');
        if (format !== undefined) filter.format = format;
        // ast_ari_sounds_list answers an empty result with 404, not with [].
        const sounds = ast.sounds.list(filter);
        if (sounds.length === 0) throw new AriHttpError(404, 'No sounds found that matched the query');
        return sounds;
      },
    },
    {
      resource: 'sounds',
      method: 'GET',
      path: '/sounds/{soundId}',
      nickname: 'get',
      summary: 'Details of a sound.',
      responseClass: 'Sound',
      params: [path('soundId', "Sound's id.")],
      handle: (a) => {
        const sound = ast.sounds.get(a.req('soundId'));
        if (!sound) throw new AriHttpError(404, 'Sound not found');
        return sound;
      },
    },
  ];
}
