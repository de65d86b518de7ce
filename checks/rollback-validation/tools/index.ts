/**
 * The registry of migration tools, and how the check picks one: a tool is a candidate when the
 * folder holds files named its way; among candidates, one whose tracking table exists (with its
 * columns) wins. `tool:` in the options skips the guessing.
 */
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import { knex } from './knex.js';
import { nodePgMigrate } from './node-pg-migrate.js';
import { plain } from './plain.js';
import { prisma } from './prisma.js';
import type { MigrationTool, ToolId, ToolSettings, TrackingTable } from './types.js';

/** Earlier entries win ties (same file score, no tracking table to tell them apart). */
export const TOOLS: readonly MigrationTool[] = [flyway, prisma, golangMigrate, nodePgMigrate, knex, plain];

export const TOOL_IDS = TOOLS.map((t) => t.id) as [ToolId, ...ToolId[]];

export function toolById(id: ToolId): MigrationTool {
  return TOOLS.find((t) => t.id === id)!;
}

export interface ToolChoice {
  tool: MigrationTool;
  /** The tracking table, when it exists. */
  table?: TrackingTable;
  /** The table name looked for (for messages when it is missing). */
  tableName: string;
}

/**
 * Picks the tool for a folder listing and the tracking tables found (by name). Returns undefined
 * when no tool recognises any file.
 */
export function chooseTool(
  files: readonly string[],
  tables: ReadonlyMap<string, TrackingTable>,
  settings: ToolSettings,
  forced?: { tool?: ToolId; table?: string },
): ToolChoice | undefined {
  const tableFor = (tool: MigrationTool) => {
    const name = forced?.table ?? tool.defaultTable;
    const t = tables.get(name);
    return { name, table: t && tool.tableLooksLikeMine(t.columns, settings) ? t : undefined };
  };
  if (forced?.tool) {
    const tool = toolById(forced.tool);
    const { name, table } = tableFor(tool);
    return { tool, tableName: name, ...(table ? { table } : {}) };
  }
  let best: (ToolChoice & { score: number }) | undefined;
  for (const tool of TOOLS) {
    if (tool.recognise(files) === 0) continue;
    const { name, table } = tableFor(tool);
    const score = 1 + (table ? 2 : 0);
    if (!best || score > best.score) best = { tool, tableName: name, score, ...(table ? { table } : {}) };
  }
  if (!best) return undefined;
  const { score: _score, ...choice } = best;
  return choice;
}
