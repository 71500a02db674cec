/** Test helpers: read fixture folders and files the way the CLI will. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AwsSnapshotInput, snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';
import type { EdgeInput, NodeInput, ParsedInventory } from '../../../src/core/inventory/types.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** A snapshot folder → AwsSnapshotInput, as the CLI does (paths relative to the folder). */
export function snapshotFromFolder(
  folder: string,
  defaults: { account_id?: string; region?: string } = {},
): AwsSnapshotInput {
  const root = join(FIXTURES, folder);
  const files = walk(root).map((path) => ({
    path: relative(root, path),
    content: JSON.parse(readFileSync(path, 'utf8')),
  }));
  return snapshotDocumentsFromFiles(files, defaults);
}

export function nodeById(inv: ParsedInventory, id: string): NodeInput {
  const node = inv.nodes.find((n) => n.id === id);
  if (node === undefined) throw new Error(`no node ${id}; have ${inv.nodes.map((n) => n.id).join(', ')}`);
  return node;
}

/** Edges as `type source-suffix -> target-suffix` strings (the last id segment), for readable exact assertions. */
export function edgeStrings(inv: ParsedInventory, filter?: (e: EdgeInput) => boolean): string[] {
  const last = (id: string) => id.slice(id.lastIndexOf(':') + 1);
  return inv.edges
    .filter(filter ?? (() => true))
    .map((e) => `${e.type} ${last(e.source_id)} -> ${last(e.target_id)}`)
    .sort();
}

export function hasEdge(inv: ParsedInventory, source: string, target: string, type: string): boolean {
  return inv.edges.some((e) => e.source_id === source && e.target_id === target && e.type === type);
}
