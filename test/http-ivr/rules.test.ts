/**
 * The seed document's rules (lib/http-ivr/rules.ts): each one refused with its rule, the command and the
 * place, before the schema would have said something vaguer; and a valid set as a Program.
 */
import assert from 'node:assert/strict';
import { CommandSetError, MAIN_ONLY, NESTS, COMMANDS, type Rule } from '../../lib/http-ivr/commands';
import { JSON_NAMING, MAX_JSON_DEPTH, checkCommandSet, toProgram, tooDeep } from '../../lib/http-ivr/rules';
import { EVERY_COMMAND } from './command-examples';
import { assertRefused } from './refused';

function refused(value: unknown, rule: Rule, path: string, message: string): void {
  assertRefused(() => checkCommandSet(value), rule, path, message);
}

const play = { command: 'play', media: ['sound:hello-world'] };

describe('HTTP IVR command set rules (lib/http-ivr/rules)', function () {
  it('takes a main command with sub-commands, secondary commands and a jump, as a program in that order', function () {
    const set = {
      main: { command: 'collect', maxDigits: 4, sub: [play, { command: 'pause', seconds: 1 }] },
      secondary: [{ command: 'set', vars: { step: 'pin' } }, { command: 'say', text: 'Thanks' }],
      jump: { url: '/pin', method: 'POST' },
    };
    assert.deepEqual(toProgram(checkCommandSet(set)), {
      form: 'json',
      steps: [set.main, ...set.secondary, { command: 'jump', jump: set.jump }],
    });
    assert.deepEqual(toProgram(checkCommandSet({ main: play })), { form: 'json', steps: [play] });
  });

  it('nesting-depth: sub-commands nest one level only', function () {
    refused(
      { main: { command: 'collect', sub: [{ ...play, sub: [{ command: 'say', text: 'x' }] }] } },
      'nesting-depth',
      'main.sub[0].sub',
      'main.sub[0].sub: commands nest one level only: play, nested in collect, may not nest commands of its own',
    );
    // Even an empty list is a second level.
    refused({ main: { command: 'record', sub: [{ ...play, sub: [] }] } }, 'nesting-depth', 'main.sub[0].sub', 'main.sub[0].sub: commands nest one level only: play, nested in record, may not nest commands of its own');
  });

  it('self-nesting: no command nests itself', function () {
    for (const name of ['collect', 'record', 'transfer', 'response', 'play'] as const) {
      refused({ main: { command: name, sub: [{ command: name }] } }, 'self-nesting', 'main.sub[0]', `main.sub[0]: ${name} may not nest itself`);
    }
  });

  it('not-nestable: only what NESTS allows, saying what the command nests', function () {
    refused(
      { main: { command: 'collect', sub: [{ command: 'record' }] } },
      'not-nestable',
      'main.sub[0]',
      'main.sub[0]: record may not be nested in collect; collect nests only play, say or pause',
    );
    refused({ main: { command: 'transfer', queue: 'q', sub: [play, { command: 'pause', seconds: 1 }] } }, 'not-nestable', 'main.sub[1]', 'main.sub[1]: pause may not be nested in transfer; transfer nests only play or say');
    refused({ main: { command: 'response', code: 486, sub: [{ command: 'say', text: 'busy' }] } }, 'not-nestable', 'main.sub[0]', 'main.sub[0]: say may not be nested in response; response nests only play');
    refused({ main: { ...play, sub: [{ command: 'say', text: 'x' }] } }, 'not-nestable', 'main.sub[0]', 'main.sub[0]: say may not be nested in play; play nests no commands');
    refused({ main: { command: 'hangup', sub: [] } }, 'not-nestable', 'main.sub', 'main.sub: hangup nests no commands');
    refused({ main: { command: 'set', vars: { a: 1 }, sub: 'x' } }, 'not-nestable', 'main.sub', 'main.sub: set nests no commands');
    // Every pair NESTS does not allow is refused, every pair it allows is taken.
    for (const parent of COMMANDS) {
      for (const child of COMMANDS) {
        if (child === parent) continue;
        const set = { main: { ...EVERY_COMMAND[parent].json, sub: [EVERY_COMMAND[child].json] } };
        if (NESTS[parent].includes(child)) assert.doesNotThrow(() => checkCommandSet(set), `${child} in ${parent}`);
        else assert.throws(() => checkCommandSet(set), (err: unknown) => err instanceof CommandSetError && err.rule === 'not-nestable', `${child} in ${parent}`);
      }
    }
  });

  it('main-only: collect, record, transfer, conference and response are never secondary', function () {
    for (const name of MAIN_ONLY) {
      refused(
        { main: play, secondary: [{ command: 'say', text: 'x' }, EVERY_COMMAND[name].json] },
        'main-only',
        'secondary[1]',
        `secondary[1]: ${name} may only be the main command of a set (the main-only commands are collect, record, transfer, conference or response)`,
      );
    }
  });

  it('unreachable: nothing after hangup, response or return, not even a jump', function () {
    refused({ main: { command: 'hangup' }, secondary: [play] }, 'unreachable', 'secondary[0]', 'secondary[0]: is unreachable: nothing runs after hangup (main)');
    refused({ main: { command: 'response', code: 486 }, jump: { url: '/x' } }, 'unreachable', 'jump', 'jump: the jump is unreachable: nothing runs after response (main)');
    refused(
      { main: play, secondary: [{ command: 'return', output: 'agent' }, { command: 'hangup' }] },
      'unreachable',
      'secondary[1]',
      'secondary[1]: is unreachable: nothing runs after return (secondary[0])',
    );
    refused({ main: play, secondary: [{ command: 'hangup' }], jump: { url: '/x' } }, 'unreachable', 'jump', 'jump: the jump is unreachable: nothing runs after hangup (secondary[0])');
    // Last, they are fine.
    assert.doesNotThrow(() => checkCommandSet({ main: play, secondary: [{ command: 'set', vars: { a: 1 } }, { command: 'return', output: 'done' }] }));
  });

  it('unknown-command: names the command and lists the known ones, wherever it is', function () {
    const known = 'the commands are play, say, pause, collect, record, transfer, conference, response, hangup, set, return';
    refused({ main: { command: 'dance' } }, 'unknown-command', 'main.command', `main.command: "dance" is not a command; ${known}`);
    refused({ main: play, secondary: [{ command: 'constructor' }] }, 'unknown-command', 'secondary[0].command', `secondary[0].command: "constructor" is not a command; ${known}`);
    refused({ main: { command: 'collect', sub: [{ command: '__proto__' }] } }, 'unknown-command', 'main.sub[0].command', `main.sub[0].command: "__proto__" is not a command; ${known}`);
    refused({ main: { command: 'Play\u202e' } }, 'unknown-command', 'main.command', `main.command: "Play\\u202e" is not a command; ${known}`);
  });

  it('gives the rule\'s message where the schema alone would say "not a known attribute"', function () {
    // The sub-command also has a wrong attribute: the rule is what the user needs to hear first.
    refused({ main: { ...play, loop: 'x', sub: [{ command: 'pause', seconds: -1 }] } }, 'not-nestable', 'main.sub[0]', 'main.sub[0]: pause may not be nested in play; play nests no commands');
  });

  it('checks what the schema cannot: maxDigits no fewer than minDigits', function () {
    refused({ main: { command: 'collect', minDigits: 4, maxDigits: 3 } }, 'schema', 'main.maxDigits', 'main.maxDigits: is 3, fewer than minDigits (4)');
    assert.doesNotThrow(() => checkCommandSet({ main: { command: 'collect', minDigits: 4, maxDigits: 4 } }));
  });

  it('refuses JSON nested deeper than the limit before walking it, anywhere in the set', function () {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i += 1) deep = [deep];
    assert.throws(
      () => checkCommandSet({ main: { command: 'return', output: 'x', payload: deep } }),
      (err: unknown) => err instanceof CommandSetError && err.rule === 'schema' && /nests deeper than 32 levels$/.test(err.message) && err.path.startsWith('main.payload[0]'),
    );
    assert.deepEqual(tooDeep({ a: { b: 1 } }, 2), undefined);
    assert.deepEqual(tooDeep({ a: { b: {} } }, 2), ['a', 'b']);
    let ok: unknown = 'x';
    for (let i = 0; i < MAX_JSON_DEPTH - 3; i += 1) ok = { v: ok };
    assert.doesNotThrow(() => checkCommandSet({ main: { command: 'return', output: 'x', payload: ok } }));
  });
});

describe('HTTP IVR command set problems, many at once', function () {
  it('words and places a set with thousands of problems in work proportional to them (it took 16 s at 6,000 when each was compared with every other)', function () {
    const vars: Record<string, number> = {};
    for (let i = 0; i < 3000; i += 1) vars[`-${i}`] = i;
    let placed = 0;
    const counting = { place: (at: readonly (string | number)[]) => ((placed += 1), JSON_NAMING.place(at)), command: (name: string) => JSON_NAMING.command(name) };
    assert.throws(
      () => checkCommandSet({ main: { command: 'set', vars } }, counting),
      (err: unknown) => err instanceof CommandSetError && err.rule === 'schema' && /; and 2996 more$/.test(err.message) && err.message.split('; ').length === 6,
    );
    assert.ok(placed < 100, `${placed} places named for 3001 problems`);
  });
});
