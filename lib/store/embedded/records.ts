/** The embedded store's meeting records and questionnaire answers (call records: call-records.ts): written once (a repeat is a no-op), read by page in time order. */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type { MeetingRecord, QuestionnaireAnswers } from '../../schemas/store';
import { meetingRecord, questionnaireAnswers } from '../../schemas/store';
import { pageLimit, type Page, type PageOptions } from '../port';
import { checked, decodeCursor, pageOf } from '../rules';
import { failed, type Connection, type Db } from './database';

export type RecordStatements = ReturnType<typeof prepareRecords>;

export function prepareRecords(db: Db) {
  return {
    insertMeeting: db.prepare('INSERT OR IGNORE INTO meeting_records (id, room, ended_at, doc) VALUES (?, ?, ?, ?)'),
    pageMeetings: db.prepare<[number, number, string, number], { doc: string }>(
      'SELECT doc FROM meeting_records WHERE ended_at > ? OR (ended_at = ? AND id > ?) ORDER BY ended_at, id LIMIT ?',
    ),
    pageRoomMeetings: db.prepare<[string, number, number, string, number], { doc: string }>(
      'SELECT doc FROM meeting_records WHERE room = ? AND (ended_at > ? OR (ended_at = ? AND id > ?)) ORDER BY ended_at, id LIMIT ?',
    ),
    insertAnswers: db.prepare('INSERT OR IGNORE INTO answers (id, questionnaire, at, doc) VALUES (?, ?, ?, ?)'),
    pageAnswers: db.prepare<[string, number, number, string, number], { doc: string }>(
      'SELECT doc FROM answers WHERE questionnaire = ? AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id LIMIT ?',
    ),
  };
}

export class EmbeddedRecords {
  constructor(private readonly c: Connection<RecordStatements>) {}

  private get st(): RecordStatements {
    return this.c.st;
  }

  async saveMeetingRecord(record: MeetingRecord): Promise<void> {
    checked(meetingRecord, record, 'meeting record');
    try {
      this.st.insertMeeting.run(record.id, record.room ?? null, record.endedAt, JSON.stringify(record));
      return;
    } catch (err) {
      failed(err, 'saving a meeting record');
    }
  }

  async pageMeetingRecords(options: PageOptions & { room?: string } = {}): Promise<Page<MeetingRecord>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    const rows = options.room === undefined ? this.st.pageMeetings.all(at, at, id, limit + 1) : this.st.pageRoomMeetings.all(options.room, at, at, id, limit + 1);
    return pageOf(rows, limit, (r) => JSON.parse(r.doc) as MeetingRecord, (r) => [r.endedAt, r.id]);
  }

  async saveAnswers(answers: QuestionnaireAnswers): Promise<void> {
    checked(questionnaireAnswers, answers, 'questionnaire answers');
    try {
      this.st.insertAnswers.run(answers.id, answers.questionnaire, answers.at, JSON.stringify(answers));
      return;
    } catch (err) {
      failed(err, 'saving questionnaire answers');
    }
  }

  async pageAnswers(questionnaire: string, options: PageOptions = {}): Promise<Page<QuestionnaireAnswers>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    const rows = this.st.pageAnswers.all(questionnaire, at, at, id, limit + 1);
    return pageOf(rows, limit, (r) => JSON.parse(r.doc) as QuestionnaireAnswers, (a) => [a.at, a.id]);
  }
}
