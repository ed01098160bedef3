import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { EntityManager, QueryRunner } from 'typeorm';
import { RouteChangedEvent } from '@aether/contracts';
import { ConflictError, databaseUnavailableError, NotFoundError, PeriodicJob, UnavailableError } from '@aether/service-kit';
import { GatewayEnv } from '../config/gateway.env';
import { MIGRATION_STORE, MigrationStore } from './migration-store';
import type { Route, RouteTableSnapshot } from './route';
import { RouteMatcher } from './route-matcher';
import { checkPrefix, checkSettings, type SettingsInput } from './route-rules';
import { defaultSeed, readRoutesFile, type SeedRoute } from './route-seed';

/** NOTIFY channel: every committed change sends the new table version on it. */
export const ROUTES_NOTIFY_CHANNEL = 'aether_gateway_routes';
/** Serialises seeding between replicas starting together (pg_advisory_xact_lock key). */
const SEED_LOCK_KEY = 0x67775f72; // "gw_r"

type Change = 'created' | 'updated' | 'deleted' | 'seeded';

/**
 * The route table as this replica serves it: an immutable snapshot with its matcher, replaced
 * whole. Changes are written to PostgreSQL (with their audit row and route.changed event in the
 * same transaction) and reach every replica through LISTEN/NOTIFY within milliseconds; a periodic
 * version check (ROUTES_RELOAD_INTERVAL_MS) is the safety net for a lost notification or a
 * dropped LISTEN connection. Requests never touch the database: with PostgreSQL down, routing
 * goes on with the last table and only changes fail (503).
 */
@Injectable()
export class RouteTable implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RouteTable');
  private current: { snapshot: RouteTableSnapshot; matcher: RouteMatcher } = { snapshot: { version: 0, routes: [] }, matcher: new RouteMatcher([]) };
  private listener?: QueryRunner;
  private listenRetry?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private reloadAgain = false;
  private stopped = false;
  private readonly reloadJob: PeriodicJob;
  private readonly listeners = new Set<(s: RouteTableSnapshot) => void>();

  constructor(
    @Inject(MIGRATION_STORE) private readonly store: MigrationStore | null,
    private readonly env: GatewayEnv,
    private readonly discovery: DiscoveryService,
  ) {
    this.reloadJob = new PeriodicJob({
      name: 'RouteTableReload',
      intervalMs: env.ROUTES_RELOAD_INTERVAL_MS,
      backoff: { initialMs: 250, maxMs: env.ROUTES_RELOAD_INTERVAL_MS },
      run: () => this.reload(),
    });
  }

  /** Routing is on: the table lives in PostgreSQL (DATABASE_URL set). */
  get enabled(): boolean {
    return this.store !== null;
  }

  get legacyConfigured(): boolean {
    return Boolean(this.env.LEGACY_API_URL);
  }

  get snapshot(): RouteTableSnapshot {
    return this.current.snapshot;
  }

  /** The route serving `path`, or undefined (then the services answer). */
  match(path: string): Route | undefined {
    return this.current.matcher.match(path);
  }

  /** Called with every new snapshot (stats forget deleted routes). */
  onChange(listener: (s: RouteTableSnapshot) => void): void {
    this.listeners.add(listener);
  }

  /** Before the server listens: seed an empty table, load it, start LISTEN and the safety net. */
  async onModuleInit(): Promise<void> {
    if (!this.store) return;
    await this.store.start();
    await this.seedIfEmpty();
    await this.load();
    await this.listen();
    this.reloadJob.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.listenRetry);
    await this.reloadJob.stop();
    await this.unlisten();
    await this.store?.close();
  }

  // --- changes (admin API) -------------------------------------------------------------------

  async create(input: SettingsInput & { prefix?: unknown }, actorId: string): Promise<Route> {
    const prefix = checkPrefix(input.prefix);
    const settings = checkSettings(input, this.legacyConfigured);
    const { RouteEntity, toRoute } = this.requireStore().entities;
    return this.change(async (m, tableVersion) => {
      if (await m.findOne(RouteEntity, { where: { prefix } })) {
        throw new ConflictError('ROUTE_EXISTS', `A route for ${prefix} exists already: change it with PUT /api/v1/admin/routes/{id}`);
      }
      const saved = await m.save(RouteEntity, m.create(RouteEntity, { prefix, ...settings, version: 1, updatedAt: new Date(), updatedBy: actorId }));
      return { change: 'created', before: null, after: toRoute(saved), tableVersion };
    }, actorId);
  }

  async update(id: string, input: SettingsInput, actorId: string): Promise<Route> {
    // Checked before anything is written: a bad value leaves the route as it was (400).
    const settings = checkSettings(input, this.legacyConfigured);
    const { RouteEntity, toRoute } = this.requireStore().entities;
    return this.change(async (m, tableVersion) => {
      const existing = await m.findOne(RouteEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!existing) throw new NotFoundError('There is no such route');
      const before = toRoute(existing);
      Object.assign(existing, settings, { version: existing.version + 1, updatedAt: new Date(), updatedBy: actorId });
      const saved = await m.save(RouteEntity, existing);
      return { change: 'updated', before, after: toRoute(saved), tableVersion };
    }, actorId);
  }

  async remove(id: string, actorId: string): Promise<void> {
    const { RouteEntity, toRoute } = this.requireStore().entities;
    await this.change(async (m, tableVersion) => {
      const existing = await m.findOne(RouteEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!existing) throw new NotFoundError('There is no such route');
      const before = toRoute(existing);
      await m.delete(RouteEntity, { id });
      return { change: 'deleted', before, after: null, tableVersion };
    }, actorId);
  }

  /**
   * One change in one transaction: bump the table version (its row lock orders concurrent
   * changes), apply, write the audit row and the event, NOTIFY (delivered on commit); then apply
   * the new table here at once, so the replica that answered the change already routes by it.
   */
  private async change(
    apply: (m: EntityManager, tableVersion: number) => Promise<{ change: Change; before: Route | null; after: Route | null; tableVersion: number }>,
    actorId: string | null,
  ): Promise<Route> {
    const store = this.requireStore();
    let result: Route | null = null;
    try {
      await store.dataSource.transaction(async (m) => {
        const tableVersion = await bumpVersion(m);
        const outcome = await apply(m, tableVersion);
        await record(m, store, outcome, actorId);
        await m.query('SELECT pg_notify($1, $2)', [ROUTES_NOTIFY_CHANNEL, String(tableVersion)]);
        result = outcome.after ?? outcome.before;
      });
    } catch (err) {
      throw databaseUnavailableError(err) ?? err;
    }
    await this.reload().catch((e: Error) => this.logger.warn(`reload after change failed: ${e.message}`));
    return result as unknown as Route;
  }

  private requireStore(): MigrationStore {
    if (!this.store) throw new UnavailableError('Strangler-fig routing is not configured on this gateway (DATABASE_URL is not set)');
    return this.store;
  }

  // --- seeding and loading -------------------------------------------------------------------

  private seedRoutes(): SeedRoute[] | undefined {
    if (this.env.ROUTES_FILE) return readRoutesFile(this.env.ROUTES_FILE, this.legacyConfigured);
    if (!this.env.LEGACY_API_URL) return undefined;
    const paths = this.discovery.getControllers().map((w) => (w.metatype ? Reflect.getMetadata(PATH_METADATA, w.metatype) : undefined));
    return defaultSeed(paths.flat().filter((p): p is string => typeof p === 'string'));
  }

  /** Seeds an empty table from ROUTES_FILE or the defaults, once across replicas starting together. */
  private async seedIfEmpty(): Promise<void> {
    const seeds = this.seedRoutes();
    if (!seeds?.length) return;
    const store = this.requireStore();
    const { RouteEntity, toRoute } = store.entities;
    await store.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK_KEY]);
      if ((await m.count(RouteEntity)) > 0) return;
      const tableVersion = await bumpVersion(m);
      for (const seed of seeds) {
        const saved = await m.save(RouteEntity, m.create(RouteEntity, { prefix: seed.prefix, ...seed.settings, version: 1, updatedAt: new Date(), updatedBy: null }));
        await record(m, store, { change: 'seeded', before: null, after: toRoute(saved), tableVersion }, null);
      }
      await m.query('SELECT pg_notify($1, $2)', [ROUTES_NOTIFY_CHANNEL, String(tableVersion)]);
      this.logger.log(`route table seeded with ${seeds.length} routes from ${this.env.ROUTES_FILE ? 'ROUTES_FILE' : 'the defaults'}`);
    });
  }

  /** Loads the whole table in one snapshot (repeatable read: routes and version agree). */
  private async load(): Promise<void> {
    const store = this.requireStore();
    const { RouteEntity, toRoute } = store.entities;
    const { version, routes } = await store.dataSource.transaction('REPEATABLE READ', async (m) => {
      const [row] = (await m.query('SELECT version FROM gateway_route_table WHERE id = 1')) as { version: number }[];
      const entities = await m.find(RouteEntity, { order: { prefix: 'ASC' } });
      return { version: Number(row?.version ?? 0), routes: entities.map(toRoute) };
    });
    this.install({ version, routes });
  }

  private install(snapshot: RouteTableSnapshot): void {
    this.current = { snapshot, matcher: new RouteMatcher(snapshot.routes) };
    for (const l of this.listeners) l(snapshot);
  }

  /**
   * Reloads when the stored version differs from the served one. Coalesced: a notification
   * arriving during a reload triggers exactly one more.
   */
  reload(): Promise<void> {
    if (!this.store) return Promise.resolve();
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          const [row] = (await this.store!.dataSource.query('SELECT version FROM gateway_route_table WHERE id = 1')) as { version: number }[];
          if (Number(row?.version ?? 0) !== this.current.snapshot.version) await this.load();
        } while (this.reloadAgain && !this.stopped);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  // --- LISTEN --------------------------------------------------------------------------------

  private async listen(): Promise<void> {
    if (!this.store || this.stopped) return;
    const qr = this.store.dataSource.createQueryRunner();
    try {
      const client = (await qr.connect()) as import('pg').PoolClient;
      client.on('notification', (n) => {
        if (n.channel === ROUTES_NOTIFY_CHANNEL) void this.reload().catch((e: Error) => this.logger.warn(`route reload failed: ${e.message}`));
      });
      client.on('error', (e) => {
        this.logger.warn(`route LISTEN connection failed (periodic reload goes on): ${e.message}`);
        void this.relisten();
      });
      await client.query(`LISTEN "${ROUTES_NOTIFY_CHANNEL}"`);
      this.listener = qr;
      // Changes committed between the load and LISTEN would otherwise wait for the safety net.
      void this.reload().catch(() => undefined);
    } catch (e) {
      await qr.release().catch(() => undefined);
      this.logger.warn(`route LISTEN failed (periodic reload only for now): ${(e as Error).message}`);
      this.listenRetry = setTimeout(() => void this.listen(), this.env.ROUTES_RELOAD_INTERVAL_MS);
    }
  }

  private async relisten(): Promise<void> {
    const qr = this.listener;
    this.listener = undefined;
    await qr?.release().catch(() => undefined);
    if (!this.stopped) this.listenRetry = setTimeout(() => void this.listen(), 250);
  }

  private async unlisten(): Promise<void> {
    const qr = this.listener;
    this.listener = undefined;
    if (!qr) return;
    await qr.query(`UNLISTEN "${ROUTES_NOTIFY_CHANNEL}"`).catch(() => undefined);
    await qr.release().catch(() => undefined);
  }
}

async function bumpVersion(m: EntityManager): Promise<number> {
  const rows = (await m.query('UPDATE gateway_route_table SET version = version + 1 WHERE id = 1 RETURNING version')) as unknown;
  // node-postgres through TypeORM answers an UPDATE … RETURNING as [rows, affected].
  const list = (Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0] : rows) as { version: number }[];
  return Number(list[0].version);
}

async function record(
  m: EntityManager,
  store: MigrationStore,
  outcome: { change: Change; before: Route | null; after: Route | null; tableVersion: number },
  actorId: string | null,
): Promise<void> {
  const route = (outcome.after ?? outcome.before) as Route;
  await m.insert(store.entities.RouteAuditEntity, {
    routeId: route.id,
    prefix: route.prefix,
    change: outcome.change,
    actorId,
    before: outcome.before,
    after: outcome.after,
    tableVersion: outcome.tableVersion,
  });
  await store.outbox.publish(
    m,
    RouteChangedEvent,
    {
      routeId: route.id,
      prefix: route.prefix,
      change: outcome.change,
      before: outcome.before ? toEventRoute(outcome.before) : undefined,
      after: outcome.after ? toEventRoute(outcome.after) : undefined,
      tableVersion: outcome.tableVersion,
    },
    actorId ? { subject: actorId } : {},
  );
}

function toEventRoute(r: Route) {
  return { ...r, updatedBy: r.updatedBy ?? '' };
}
