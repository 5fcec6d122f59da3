/** The MongoDB store's meeting records and questionnaire answers (call records: call-records.ts): written once (a repeat is a no-op), read by page in time order. */
import type { Db, Filter } from 'mongodb';
import type { MeetingRecord, QuestionnaireAnswers } from '../../schemas/store';
import { meetingRecord, questionnaireAnswers } from '../../schemas/store';
import { pageLimit, type Page, type PageOptions } from '../port';
import { checked, decodeCursor, pageOf } from '../rules';
import { isDuplicateKey, mongoError, run, type Connection } from './database';

interface MeetingDoc extends Omit<MeetingRecord, 'id'> {
  _id: string;
}
interface AnswersDoc extends Omit<QuestionnaireAnswers, 'id'> {
  _id: string;
}

export class MongoRecords {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  async saveMeetingRecord(record: MeetingRecord): Promise<void> {
    checked(meetingRecord, record, 'meeting record');
    const { id, ...rest } = record;
    try {
      await this.handle.collection<MeetingDoc>('meeting_records').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) return;
      throw mongoError(err, 'saving a meeting record');
    }
  }

  async pageMeetingRecords(options: PageOptions & { room?: string } = {}): Promise<Page<MeetingRecord>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    return run('listing meeting records', async () => {
      const filter: Filter<MeetingDoc> = { $or: [{ endedAt: { $gt: at } }, { endedAt: at, _id: { $gt: id } }] };
      if (options.room !== undefined) filter.room = options.room;
      const docs = await this.handle.collection<MeetingDoc>('meeting_records').find(filter).sort({ endedAt: 1, _id: 1 }).limit(limit + 1).toArray();
      return pageOf(docs, limit, ({ _id, ...rest }) => ({ id: _id, ...rest }), (r) => [r.endedAt, r.id]);
    });
  }

  async saveAnswers(answers: QuestionnaireAnswers): Promise<void> {
    checked(questionnaireAnswers, answers, 'questionnaire answers');
    const { id, ...rest } = answers;
    try {
      await this.handle.collection<AnswersDoc>('answers').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) return;
      throw mongoError(err, 'saving questionnaire answers');
    }
  }

  async pageAnswers(questionnaire: string, options: PageOptions = {}): Promise<Page<QuestionnaireAnswers>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    return run('listing questionnaire answers', async () => {
      const docs = await this.handle
        .collection<AnswersDoc>('answers')
        .find({ questionnaire, $or: [{ at: { $gt: at } }, { at, _id: { $gt: id } }] })
        .sort({ at: 1, _id: 1 })
        .limit(limit + 1)
        .toArray();
      return pageOf(docs, limit, ({ _id, ...rest }) => ({ id: _id, ...rest }), (a) => [a.at, a.id]);
    });
  }
}
