import { resolve } from 'node:path';
import { isExtendedJson } from '../../core/codec.js';
import type { StoreDescriptor } from '../descriptor.js';
import type { JsonFormat } from '../../core/manifest.js';
import { checkExportDir } from './check.js';
import { checkForeignFiles, type ForeignFiles } from './foreign.js';
import { DirSource } from './source.js';

/** An export directory: NDJSON files and manifest.json (docs/export-format.md). */
export interface DirSpec {
  type: 'dir';
  path: string;
  /**
   * Files from other tools in `path` (`import --files ... --verify`: the side verify reads back),
   * instead of an export's manifest; `jsonFormat` as the import found or was told it.
   */
  files?: ForeignFiles[];
  jsonFormat?: JsonFormat;
}

/**
 * An export directory is the sink of an export and the source of an import (which build its
 * DirSink and DirSource themselves, from the export they check), and either side of a verify.
 * It has no identity of its own: rejects and messages name its documents as the store they came
 * from did, and checkpoints remember them by line.
 */
export const dirStore: StoreDescriptor<DirSpec> = {
  type: 'dir',
  label: 'export directory',
  name: 'export directory',
  specFromOptions(values) {
    const path = values.path('dir');
    if (!path) throw values.missing('dir', { for: 'a dir side', what: 'the export directory, holding manifest.json', placeholder: 'export directory' });
    return { type: 'dir', path };
  },
  address: (spec) => `dir:${resolve(spec.path)}`,
  printable: (spec) => spec.path,
  async openSource(spec, context) {
    // openSource serves verify: refusals and warnings speak of comparing, not importing.
    // Files from other tools: the import that wrote them already said that no manifest checks them.
    const checked = spec.files
      ? await checkForeignFiles(spec.path, spec.files, spec.jsonFormat)
      : await checkExportDir(spec.path, { purpose: 'verify', ...(context.allowPartial ? { allowPartial: true } : {}) });
    if (!spec.files) for (const message of checked.warnings) context.warn(message);
    return {
      source: new DirSource(checked),
      describe: spec.path,
      bson: isExtendedJson(checked.format),
      collections: checked.files.map((f) => ({ database: f.database, collection: f.collection })),
      ...(checked.manifest?.subset && checked.manifest.filters ? { filters: checked.manifest.filters } : {}),
      ...(checked.sourceType ? { sourceType: checked.sourceType } : {}),
    };
  },
};
