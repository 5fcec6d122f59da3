/**
 * The campaign's task type (the specification's "Task Type": common IVR or intelligent robot outbound call): the
 * schema's field and its default for settings stored before it existed, AMD()'s parameters in the same schema, and
 * the rule that a robot task's flow holds a callflow-bot element (lib/campaign/task-type.ts), on deployed nodes as
 * flows.json has them. Over the wire: test/nodes/campaign-robot.test.ts.
 */
import assert from 'node:assert/strict';
import { taskFlowProblem } from '../../lib/campaign/task-type';
import { toTemplate } from '../../lib/campaign/template';
import { AMD_DEFAULTS } from '../../lib/media/amd';
import type { FlowNode } from '../../lib/releases/nodes';
import { campaignDocument, campaignTemplate, checkCampaign, type CampaignSettings } from '../../lib/schemas/campaign';
import { amdParametersOf, taskTypeOf } from '../../lib/schemas/campaign-answered';

const BASE = { name: 'robot', connection: 'a1', store: 's1', callerNumbers: ['+861058000000'] };

describe('campaign task type', function () {
  describe('the settings', function () {
    it('default to a common IVR task with Asterisk\'s AMD() defaults, as settings stored before the fields existed read', function () {
      const r = checkCampaign(BASE);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.value.taskType, 'ivr');
      assert.deepEqual(r.value.amdParameters, AMD_DEFAULTS);
      // A stored document (and settings) without the fields: valid, and read as common IVR with the defaults.
      const { taskType: _t, amdParameters: _a, ...old } = r.value;
      const stored = { state: 'running', changedAt: 1, reason: 'start by user', name: 'robot', settings: old, counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } };
      assert.ok(campaignDocument.check(stored).ok, JSON.stringify(campaignDocument.check(stored)));
      assert.equal(taskTypeOf(old as CampaignSettings), 'ivr');
      assert.deepEqual(amdParametersOf(old as CampaignSettings), AMD_DEFAULTS);
      assert.equal(taskTypeOf(undefined), 'ivr');
    });

    it('take robot, and AMD() parameters as a form sends them (text) or a document keeps them; templates keep both', function () {
      const r = checkCampaign({ ...BASE, taskType: 'robot', amd: 'hangup', amdParameters: { ...AMD_DEFAULTS, greeting: '2000', maximumNumberOfWords: '3' } });
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.value.taskType, 'robot');
      assert.deepEqual(r.value.amdParameters, { ...AMD_DEFAULTS, greeting: 2000, maximumNumberOfWords: 3 });
      assert.deepEqual(amdParametersOf(r.value), { ...AMD_DEFAULTS, greeting: 2000, maximumNumberOfWords: 3 });
      const template = toTemplate(r.value);
      assert.equal(template.settings.taskType, 'robot');
      assert.deepEqual(template.settings.amdParameters, r.value.amdParameters);
      assert.ok(campaignTemplate.check(template).ok);
      const doc = { state: 'draft', changedAt: 1, reason: 'created', name: 'robot', settings: r.value, counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } };
      assert.ok(campaignDocument.check(doc).ok);
    });

    it('refuse another task type and AMD() parameters out of range, missing or not numbers, naming the field (the form, a template and the store alike)', function () {
      const bad = (values: Record<string, unknown>, problem: RegExp): void => {
        const r = checkCampaign({ ...BASE, ...values });
        assert.ok(!r.ok, JSON.stringify(values));
        assert.ok(r.problems.some((p) => problem.test(p)), `${JSON.stringify(values)}: ${JSON.stringify(r.problems)}`);
      };
      bad({ taskType: 'chatbot' }, /^taskType: "ivr" \(common IVR\) or "robot" \(intelligent robot\) \(got "chatbot"\)/);
      bad({ amdParameters: { ...AMD_DEFAULTS, greeting: -1 } }, /^amdParameters\.greeting: the longest greeting: whole milliseconds from 0 to 60000 \(got -1\)/);
      bad({ amdParameters: { ...AMD_DEFAULTS, totalAnalysisTime: 50 } }, /^amdParameters\.totalAnalysisTime: .*\(got 50\)/);
      bad({ amdParameters: { ...AMD_DEFAULTS, silenceThreshold: 40000 } }, /^amdParameters\.silenceThreshold: the silence level: a whole number from 0 to 32767 \(got 40000\)/);
      bad({ amdParameters: { ...AMD_DEFAULTS, maximumNumberOfWords: 'two' } }, /^amdParameters\.maximumNumberOfWords: .*\(got "two"\)/);
      // An emptied field of the form is missing, not 0.
      bad({ amdParameters: { ...AMD_DEFAULTS, initialSilence: '' } }, /^amdParameters\.initialSilence: is required/);
      bad({ amdParameters: { ...AMD_DEFAULTS, extra: 1 } }, /^amdParameters\.extra: is not a known setting/);
      const stored = { state: 'draft', changedAt: 1, reason: 'created', name: 'robot', settings: { ...(checkCampaign(BASE) as { value: object }).value, taskType: 'bot' }, counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } };
      assert.ok(!campaignDocument.check(stored).ok, 'the store refuses it too');
    });
  });

  describe("a robot task's flow", function () {
    const tab = (id: string, label: string, extra: Partial<FlowNode> = {}): FlowNode => ({ id, type: 'tab', label, ...extra });
    const entry = (id: string, z: string, flow: string, extra: Partial<FlowNode> = {}): FlowNode => ({ id, type: 'callflow-entry', z, flow, connection: 'a1', ...extra });
    const bot = (id: string, z: string, extra: Partial<FlowNode> = {}): FlowNode => ({ id, type: 'callflow-bot', z, ...extra });
    const dialer = (id: string, z: string, campaign: string): FlowNode => ({ id, type: 'callflow-dialer', z, campaign });
    const robot = (flow: string) => ({ campaign: 'c1', taskType: 'robot' as const, flow });

    it('a common IVR task has no such rule', function () {
      assert.equal(taskFlowProblem([tab('t1', 'Sales'), entry('e1', 't1', 'sales')], { campaign: 'c1', taskType: 'ivr', flow: 'sales' }), undefined);
    });

    it('its IVR flow must hold a callflow-bot, on the tab of every enabled entry of the flow (each version)', function () {
      const nodes = [tab('t1', 'Sales v1'), entry('e1', 't1', 'sales'), bot('b1', 't1')];
      assert.equal(taskFlowProblem(nodes, robot('sales')), undefined);
      const v2 = [...nodes, tab('t2', 'Sales v2'), entry('e2', 't2', 'sales', { version: 'v2' })];
      assert.equal(
        taskFlowProblem(v2, robot('sales')),
        'an intelligent robot task needs a callflow-bot element in the flow its calls enter: its flow "sales" has none (tab "Sales v2")',
      );
      // A disabled bot is none; a disabled entry, or one on a disabled tab, takes no calls.
      assert.match(taskFlowProblem([tab('t1', 'Sales'), entry('e1', 't1', 'sales'), bot('b1', 't1', { d: true })], robot('sales')) ?? '', /has none \(tab "Sales"\)/);
      assert.equal(taskFlowProblem([...nodes, tab('t2', 'Old', { disabled: true }), entry('e2', 't2', 'sales')], robot('sales')), undefined);
      assert.equal(taskFlowProblem([...nodes, tab('t2', 'Old'), entry('e2', 't2', 'sales', { d: true })], robot('sales')), undefined);
      // Another flow's bot does not count.
      assert.match(taskFlowProblem([tab('t1', 'Sales'), entry('e1', 't1', 'sales'), tab('t2', 'Other'), entry('e2', 't2', 'other'), bot('b2', 't2')], robot('sales')) ?? '', /has none \(tab "Sales"\)/);
    });

    it('a bot inside a subflow used on the tab counts (subflows within subflows, a loop of them ends)', function () {
      const nodes: FlowNode[] = [
        tab('t1', 'Sales'),
        entry('e1', 't1', 'sales'),
        { id: 'i1', type: 'subflow:s1', z: 't1' },
        { id: 's1', type: 'subflow', name: 'outer' },
        { id: 'i2', type: 'subflow:s2', z: 's1' },
        { id: 's2', type: 'subflow', name: 'inner' },
        { id: 'i3', type: 'subflow:s1', z: 's2' },
      ];
      assert.match(taskFlowProblem(nodes, robot('sales')) ?? '', /has none/);
      assert.equal(taskFlowProblem([...nodes, bot('b1', 's2')], robot('sales')), undefined);
    });

    it("without an IVR flow, the flow of the task's dialer nodes (another task's dialer does not count)", function () {
      const nodes = [tab('t1', 'Robot'), dialer('d1', 't1', 'c1'), tab('t2', 'Other'), dialer('d2', 't2', 'c2'), bot('b2', 't2')];
      assert.equal(
        taskFlowProblem(nodes, robot('')),
        "an intelligent robot task needs a callflow-bot element in the flow its calls enter: its dialer node's flow has none (tab \"Robot\")",
      );
      assert.equal(taskFlowProblem([...nodes, bot('b1', 't1')], robot('')), undefined);
    });

    it('nothing deployed to check (no entry or dialer of the task): no problem here (the flow check says the flow is missing)', function () {
      assert.equal(taskFlowProblem([tab('t1', 'Robot')], robot('sales')), undefined);
      assert.equal(taskFlowProblem([], robot('')), undefined);
    });

    it('a tab label from a flow file is one line of at most 60 characters in the reason; a tab without one is named by its id', function () {
      const label = `Robot\n\u202e${'x'.repeat(100)}`;
      const why = taskFlowProblem([tab('t1', label), entry('e1', 't1', 'sales')], robot('sales')) ?? '';
      assert.match(why, /\(tab "Robot {2}x+\.\.\."\)$/);
      assert.ok(!/[\n\u202e]/.test(why));
      assert.ok(why.length < 200);
      assert.match(taskFlowProblem([tab('t1', ''), entry('e1', 't1', 'sales')], robot('sales')) ?? '', /\(tab t1\)$/);
    });
  });
});
