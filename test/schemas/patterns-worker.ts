/**
 * Runs bench/patterns' pumped near-matches (2,000 characters) of every schema
 * pattern and of the functions that meet hostile text, in a worker thread: a
 * pattern that backtracks exponentially never returns, and only a thread
 * can be stopped in the middle of a regular expression. It says which
 * subject it starts before each, and how many inputs it ran at the end.
 */
import { parentPort } from 'node:worker_threads';
import { functionSubjects, pumped, schemaSubjects } from '../../bench/patterns';

let inputs = 0;
for (const subject of [...schemaSubjects(), ...functionSubjects()]) {
  parentPort?.postMessage({ subject: subject.name.slice(0, 200), where: subject.where.join(', ') });
  for (const { input } of pumped(subject, 2_000)) {
    subject.run(input);
    inputs += 1;
  }
}
parentPort?.postMessage({ done: true, inputs });
