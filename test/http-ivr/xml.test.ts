/**
 * The callflow form in XML (lib/http-ivr/xml.ts, xml-tree.ts): every command reads as its JSON form, the
 * rules and the schema name elements and attributes, and hostile XML (DOCTYPE, entity bombs, processing
 * instructions, deep or huge trees) is refused before it costs anything.
 */
import assert from 'node:assert/strict';
import { COMMANDS, type Rule } from '../../lib/http-ivr/commands';
import { checkCommandSet, toProgram } from '../../lib/http-ivr/rules';
import { parseCallflowXml } from '../../lib/http-ivr/xml';
import { MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS, readXml } from '../../lib/http-ivr/xml-tree';
import { EVERY_COMMAND, WRONG_TYPE } from './command-examples';
import { commandDefinitions } from '../../lib/schemas/http-ivr';
import { assertRefused } from './refused';

function refused(xml: string, rule: Rule, path: string, message: string | RegExp): void {
  assertRefused(() => parseCallflowXml(xml), rule, path, message);
}

describe('HTTP IVR callflow XML (lib/http-ivr/xml)', function () {
  it('reads every command with every attribute as its JSON form', function () {
    for (const name of COMMANDS) {
      const { json, xml } = EVERY_COMMAND[name];
      assert.deepEqual(parseCallflowXml(`<Response>${xml}</Response>`), { form: 'xml', steps: [json] }, name);
    }
  });

  it('reads a whole set: main, secondary commands, then the jump (as an attribute or as text)', function () {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <!-- the PIN menu -->
      <Response>
        ${EVERY_COMMAND.collect.xml}
        ${EVERY_COMMAND.set.xml}
        <Say><![CDATA[Thanks & goodbye]]></Say>
        <Jump method="GET">
          /next?step=2&amp;lang=fr
        </Jump>
      </Response>`;
    assert.deepEqual(
      parseCallflowXml(xml),
      toProgram(checkCommandSet({ main: EVERY_COMMAND.collect.json, secondary: [EVERY_COMMAND.set.json, { command: 'say', text: 'Thanks & goodbye' }], jump: { url: '/next?step=2&lang=fr', method: 'GET' } }), 'xml'),
    );
    assert.deepEqual(parseCallflowXml('<Response><Hangup/></Response>').steps, [{ command: 'hangup' }]);
    assert.deepEqual(parseCallflowXml('<Response><Play>sound:a</Play><Jump url="https://app.example.com/x"/></Response>').steps[1], { command: 'jump', jump: { url: 'https://app.example.com/x' } });
  });

  it('keeps variable names that are Object.prototype\'s as plain variables', function () {
    const { steps } = parseCallflowXml('<Response><Set><Var name="__proto__">x</Var><Var name="constructor" type="number">1</Var></Set></Response>');
    const vars = (steps[0] as { vars: Record<string, unknown> }).vars;
    assert.deepEqual(Object.keys(vars), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(vars), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(vars, '__proto__')?.value, 'x');
  });

  it('names the element of each rule it breaks', function () {
    refused('<Response><Collect><Play>sound:a</Play><Play>sound:b</Play><Record/></Collect></Response>', 'not-nestable', 'Response/Collect/Record', 'Response/Collect/Record: <Record> may not be nested in <Collect>; <Collect> nests only <Play>, <Say> or <Pause>');
    refused('<Response><Collect><Collect/></Collect></Response>', 'self-nesting', 'Response/Collect/Collect', 'Response/Collect/Collect: <Collect> may not nest itself');
    refused('<Response><Collect><Play><Say>x</Say></Play></Collect></Response>', 'schema', 'Response/Collect/Play/Say', 'Response/Collect/Play/Say: <Play> takes <Media> elements only (got <Say>)');
    refused('<Response><Play>sound:a</Play><Record/></Response>', 'main-only', 'Response/Record', /^Response\/Record: <Record> may only be the main command of a set/);
    refused('<Response><Hangup/><Play>sound:a</Play></Response>', 'unreachable', 'Response/Play', 'Response/Play: is unreachable: nothing runs after <Hangup> (Response/Hangup)');
    refused('<Response><Return output="x"/><Jump url="/x"/></Response>', 'unreachable', 'Response/Jump', 'Response/Jump: the jump is unreachable: nothing runs after <Return> (Response/Return)');
    refused('<Response><Play>sound:a</Play><Jump url="/x"/><Hangup/></Response>', 'unreachable', 'Response/Hangup', 'Response/Hangup: is unreachable: nothing runs after the <Jump> (Response/Jump)');
    refused('<Response><Dance/></Response>', 'unknown-command', 'Response/Dance', /^Response\/Dance: <Dance> is not a command; the commands are <Play>, <Say>, <Pause>, <Collect>/);
    refused('<Response><play>sound:a</play></Response>', 'unknown-command', 'Response/play', /^Response\/play: <play> is not a command/);
    refused('<Response><Collect><Jump url="/x"/></Collect></Response>', 'unknown-command', 'Response/Collect/Jump', /\(<Jump> goes last in <Response>\)$/);
  });

  it('names the element and attribute of each schema problem, counting siblings of a name from 1', function () {
    refused('<Response><Collect><Play>sound:a</Play><Play loop="x">sound:b</Play></Collect></Response>', 'schema', 'Response/Collect/Play[2]/@loop', 'Response/Collect/Play[2]/@loop: times to play the list (default 1): a whole number from 1 to 100 (got "x")');
    refused('<Response><Play volume="3">sound:a</Play></Response>', 'schema', 'Response/Play/@volume', /^Response\/Play\/@volume: is not known here/);
    refused('<Response><Pause/></Response>', 'schema', 'Response/Pause/@seconds', 'Response/Pause/@seconds: is required');
    refused('<Response><Play/></Response>', 'schema', 'Response/Play', 'Response/Play: needs a media URI as its text, or <Media> elements');
    refused('<Response><Say> </Say></Response>', 'schema', 'Response/Say', 'Response/Say: needs the text to say as its text');
    refused('<Response><Play><Media>sound:a</Media><Media>/etc/passwd</Media></Play></Response>', 'schema', 'Response/Play/Media[2]', /^Response\/Play\/Media\[2\]: a media URI.*\(got "\/etc\/passwd"\)$/);
    refused('<Response><Transfer number="+1" queue="q"/></Response>', 'schema', 'Response/Transfer', 'Response/Transfer: needs exactly one of endpoint, number, queue, flow (it has number and queue)');
    refused('<Response><Collect action="javascript:x"/></Response>', 'schema', 'Response/Collect/@action', /^Response\/Collect\/@action: a URL of at most 2000 characters/);
    refused('<Response><Collect minDigits="3" maxDigits="2"/></Response>', 'schema', 'Response/Collect/@maxDigits', 'Response/Collect/@maxDigits: is 2, fewer than minDigits (3)');
    refused('<Response><Set><Var name="a-b">1</Var></Set></Response>', 'schema', 'Response/Set/Var', /^Response\/Set\/Var: is not a variable name/);
    refused('<Response><Set><Var name="n" type="number">ten</Var></Set></Response>', 'schema', 'Response/Set/Var', 'Response/Set/Var: is not a number (got "ten")');
    refused('<Response><Set><Var name="a">1</Var><Var name="a">2</Var></Set></Response>', 'schema', 'Response/Set/Var[2]/@name', 'Response/Set/Var[2]/@name: sets "a" a second time');
    refused('<Response><Return output="x">{"a": </Return></Response>', 'schema', 'Response/Return', 'Response/Return: the payload is not JSON (got "{\\"a\\":")');
    refused('<Response><Play command="say">sound:a</Play></Response>', 'schema', 'Response/Play/@command', /^Response\/Play\/@command: is not an attribute of <Play>/);
    refused('<Response><Collect>press a key<Play>sound:a</Play></Collect></Response>', 'schema', 'Response/Collect', 'Response/Collect: <Collect> takes no text (got "press a key")');
    refused('<Response/>', 'schema', 'Response', 'Response: has no command: its first element is the main command');
    refused('<Commands><Hangup/></Commands>', 'schema', 'Commands', 'Commands: the root element is <Commands>; a command set is a <Response>');
  });

  it('refuses a value of another type in every attribute, naming the attribute', function () {
    for (const name of COMMANDS) {
      const props = (commandDefinitions[name] as { properties: Record<string, { type?: string }> }).properties;
      for (const [attr, prop] of Object.entries(props)) {
        if (!['integer', 'number', 'boolean'].includes(String(prop.type))) continue;
        const wrong = (WRONG_TYPE[String(prop.type)] as { xml: string }).xml;
        const xml = EVERY_COMMAND[name].xml.replace(new RegExp(` ${attr}="[^"]*"`), ` ${attr}="${wrong}"`);
        assert.notEqual(xml, EVERY_COMMAND[name].xml, `${name} ${attr}`);
        const element = name.charAt(0).toUpperCase() + name.slice(1);
        refused(`<Response>${xml}</Response>`, 'schema', `Response/${element}/@${attr}`, new RegExp(`\\(got "${wrong}"\\)$`));
      }
    }
  });

  describe('hostile XML', function () {
    it('refuses a DOCTYPE, so an entity bomb has nowhere to declare its entities', function () {
      const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><Response><Say>&lol9;</Say></Response>`;
      refused(bomb, 'syntax', '(the XML)', /^\(the XML\): has a DOCTYPE \(line 1, column \d+\); DOCTYPEs and the entities they declare are refused$/);
      refused('<!DOCTYPE Response SYSTEM "file:///etc/passwd"><Response/>', 'syntax', '(the XML)', /has a DOCTYPE/);
    });

    it('refuses entities it does not know, and processing instructions', function () {
      refused('<Response><Say>&xxe;</Say></Response>', 'syntax', '(the XML)', /^\(the XML\): is not well-formed XML: undefined entity \(line 1, column \d+\)$/);
      refused('<?xml-stylesheet href="x"?><Response/>', 'syntax', '(the XML)', /has a processing instruction <\?xml-stylesheet \.\.\.\?>/);
      refused('<Response><?php system("x") ?><Hangup/></Response>', 'syntax', '(the XML)', /has a processing instruction <\?php/);
      // The five predefined entities and character references are XML itself.
      assert.deepEqual(parseCallflowXml('<Response><Say>&lt;&amp;&#65;&#x42;&quot;&apos;&gt;</Say></Response>').steps, [{ command: 'say', text: '<&AB"\'>' }]);
    });

    it('refuses elements nested deeper than the limit, and documents with too many elements or attributes', function () {
      const deep = `${'<Response>'.repeat(MAX_XML_DEPTH + 1)}${'</Response>'.repeat(MAX_XML_DEPTH + 1)}`;
      refused(deep, 'syntax', '(the XML)', `(the XML): nests elements deeper than ${MAX_XML_DEPTH} levels (line 1, column ${10 * (MAX_XML_DEPTH + 1)})`);
      // A deep document of 64 KiB stops at the limit instead of building 6,000 levels.
      refused('<a>'.repeat(20_000), 'syntax', '(the XML)', /nests elements deeper than 8 levels/);
      refused(`<Response>${'<Hangup/>'.repeat(MAX_XML_ELEMENTS)}</Response>`, 'syntax', '(the XML)', `(the XML): has more than ${MAX_XML_ELEMENTS} elements`);
      const attrs = Array.from({ length: MAX_XML_ATTRIBUTES + 1 }, (_, i) => `a${i}="1"`).join(' ');
      refused(`<Response><Hangup ${attrs}/></Response>`, 'syntax', '(the XML)', /<Hangup> has more than 32 attributes/);
      assert.equal(readXml(`<Response>${'<Hangup/>'.repeat(MAX_XML_ELEMENTS - 1)}</Response>`).children.length, MAX_XML_ELEMENTS - 1);
    });

    it('refuses malformed XML with where it broke', function () {
      refused('<Response><Hangup></Response>', 'syntax', '(the XML)', /^\(the XML\): is not well-formed XML: .* \(line 1, column \d+\)$/);
      refused('<Response a="1" a="2"/>', 'syntax', '(the XML)', /duplicate attribute/);
      refused('<Response/><Response/>', 'syntax', '(the XML)', /only one root/);
      refused('<x:Response xmlns:x="urn:x"/>', 'schema', 'x:Response', /the root element is <x:Response>/);
    });
  });
});
