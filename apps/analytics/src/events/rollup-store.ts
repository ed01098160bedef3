import { Injectable } from '@nestjs/common';
import type { Collection } from 'mongoose';
import { AnalyticsCollections, ROLLUPS_COLLECTION } from './analytics-collections';
import { partitionSpan, type DocRef, type EdgeDoc, type SlotDoc } from './rollup-model';
import { detectServerFlavor } from './server-flavor';

export type RollupDoc = SlotDoc | EdgeDoc;

/**
 * Most replace statements per write command: FerretDB 1.24 (SQLite) never answers an `update`
 * command that modifies ~50+ existing documents (see event-store.service.ts).
 */
const WRITE_CHUNK = 25;

/**
 * Reads and writes rollup docs by partition (see rollup-model.ts): on FerretDB a partition is its
 * own collection, so a read costs what that partition holds; on MongoDB all partitions share one
 * collection and every read is an `_id` index lookup.
 */
@Injectable()
export class RollupStore {
  private separateCollections?: Promise<boolean>;

  constructor(private readonly db: AnalyticsCollections) {}

  /** FerretDB (a collection per partition) or MongoDB (one collection)? Asked once. */
  private partitionsAreCollections(): Promise<boolean> {
    return (this.separateCollections ??= detectServerFlavor(this.db.connection).then((f) => f.ferretdb));
  }

  private async collectionOf(partition: string): Promise<Collection<RollupDoc>> {
    const name = (await this.partitionsAreCollections()) ? partition : ROLLUPS_COLLECTION;
    return this.db.connection.collection<RollupDoc>(name);
  }

  /** The docs of `refs` that exist, by `_id` (one query per partition, in parallel). */
  async read(refs: DocRef[]): Promise<Map<string, RollupDoc>> {
    const byPartition = new Map<string, Set<string>>();
    for (const r of refs) {
      let ids = byPartition.get(r.partition);
      if (!ids) byPartition.set(r.partition, (ids = new Set()));
      ids.add(r.id);
    }
    const out = new Map<string, RollupDoc>();
    await Promise.all(
      [...byPartition].map(async ([partition, ids]) => {
        const collection = await this.collectionOf(partition);
        const list = [...ids];
        const docs = await collection.find(list.length === 1 ? { _id: list[0] } : { _id: { $in: list } }).toArray();
        for (const d of docs) out.set(d._id, d as RollupDoc);
      }),
    );
    return out;
  }

  /**
   * Writes whole docs of one partition: `existing` ids are replaced, the others inserted (an
   * insert costs FerretDB a fraction of an upsert, and most docs are new while a backlog is
   * folded). Only the compaction lease holder writes, so an id it did not read cannot appear meanwhile.
   */
  async write(partition: string, docs: RollupDoc[], existing: ReadonlySet<string>): Promise<void> {
    const collection = await this.collectionOf(partition);
    const fresh = docs.filter((d) => !existing.has(d._id));
    const changed = docs.filter((d) => existing.has(d._id));
    if (fresh.length > 0) await collection.insertMany(fresh, { ordered: false });
    for (let i = 0; i < changed.length; i += WRITE_CHUNK) {
      await collection.bulkWrite(
        changed.slice(i, i + WRITE_CHUNK).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d } })),
        { ordered: true },
      );
    }
  }

  /**
   * Deletes every rollup doc whose bucket starts before `cutoff` (day-aligned by retention, so no
   * doc straddles it). FerretDB: whole partitions are dropped, the one holding the cutoff is
   * trimmed.
   */
  async purgeBefore(cutoff: Date): Promise<number> {
    if (!(await this.partitionsAreCollections())) {
      return (await this.db.connection.collection<RollupDoc>(ROLLUPS_COLLECTION).deleteMany({ b: { $lt: cutoff } })).deletedCount;
    }
    const db = this.db.connection.db!;
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    let deleted = 0;
    for (const name of names) {
      const span = partitionSpan(name);
      if (!span || span.start >= cutoff.getTime()) continue;
      const collection = db.collection<RollupDoc>(name);
      if (span.end <= cutoff.getTime()) {
        deleted += await collection.countDocuments();
        await collection.drop().catch((e: { codeName?: string }) => {
          if (e.codeName !== 'NamespaceNotFound') throw e;
        });
      } else {
        deleted += (await collection.deleteMany({ b: { $lt: cutoff } })).deletedCount;
      }
    }
    return deleted;
  }
}
