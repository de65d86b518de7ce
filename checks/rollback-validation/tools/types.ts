/**
 * The shape every migration-tool adapter has. One small module per tool (golang-migrate.ts,
 * flyway.ts, …) implements it; tools/index.ts lists them. To support another tool, write one more
 * module with this shape and add it to the list: nothing else in the check changes.
 */
import type { SqlRunner } from '../../../src/plugin.js';

export type ToolId = 'golang-migrate' | 'node-pg-migrate' | 'knex' | 'flyway' | 'prisma' | 'plain';

/** One migration as found in the folder. */
export interface DiskMigration {
  /** The key the tracking table records for it: a version ("42", "1.2") or a name. */
  id: string;
  /** What a person calls it: the file or folder name. */
  label: string;
  /** Paths relative to the migrations folder. */
  upFile?: string;
  downFile?: string;
  /** SQL the dry-run can run; absent for JavaScript/TypeScript migrations (never executed). */
  upSql?: string;
  downSql?: string;
  /** 1-based line of the file where upSql / downSql start (when they are part of a bigger file). */
  upFirstLine?: number;
  downFirstLine?: number;
  /** Whether a rollback exists: as SQL, as code (JS/TS, read but not run), or not at all. */
  down: 'sql' | 'code' | 'none';
  /** For code migrations: a `down` that does nothing, or one defined but not exported (see jsDown). */
  downProblem?: 'empty' | 'not-exported';
  /** Checksum values the tool would accept for this file (computed the tool's way). */
  checksums?: string[];
  /**
   * Flyway repeatable (R__) migration: never rolled back and not ordered by version; the tool
   * re-applies it whenever its checksum changes.
   */
  repeatable?: boolean;
}

/** One migration as the tracking table records it. */
export interface AppliedMigration {
  id: string;
  /** 0-based position in the order it was applied (for golang-migrate: version order). */
  rank: number;
  /** applied; failed (Flyway success=false, Prisma unfinished); dirty (golang-migrate); rolled-back (Prisma). */
  state: 'applied' | 'failed' | 'dirty' | 'rolled-back';
  /** The checksum the tool recorded when it applied it. */
  checksum?: string;
  appliedAt?: string;
  /**
   * Implemented in code that lives outside the migrations folder (Flyway Java migrations, rows of
   * type JDBC): no file in the folder is expected, and dbcheck never runs it.
   */
  inCode?: string;
  /** A Flyway repeatable migration (see DiskMigration.repeatable). */
  repeatable?: boolean;
}

export interface History {
  applied: AppliedMigration[];
  /** Flyway baseline: versions at or below it count as applied without a row of their own. */
  baselineId?: string;
}

export interface TrackingTable {
  schema: string;
  name: string;
  columns: string[];
}

/** Settings only some tools read (the plain tool's column names). */
export interface ToolSettings {
  versionColumn: string;
  orderColumn?: string;
}

export interface MigrationTool {
  id: ToolId;
  title: string;
  /** The tracking table's default name. */
  defaultTable: string;
  /** False when the tool has no down migrations at all (Prisma). */
  hasDownScripts: boolean;
  /** False when the tracking table does not record the order of application (golang-migrate). */
  recordsOrder: boolean;
  /** How many of the folder's files (relative posix paths) look like this tool's migrations. */
  recognise(files: readonly string[]): number;
  /** Whether a table with these columns is this tool's tracking table. */
  tableLooksLikeMine(columns: readonly string[], settings: ToolSettings): boolean;
  /** Reads the migrations in the folder, sorted in the tool's order. */
  load(dir: string, files: readonly string[]): Promise<DiskMigration[]>;
  /** Reads the tracking table (read-only). `disk` is given for tools that record only a version. */
  readHistory(
    db: SqlRunner,
    table: TrackingTable,
    disk: readonly DiskMigration[],
    settings: ToolSettings,
    signal: AbortSignal,
  ): Promise<History>;
  /** Orders two ids the way the tool orders migrations. */
  compareIds(a: string, b: string): number;
}
