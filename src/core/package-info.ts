import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/core and dist/core sit at the same depth, so the package root is two levels up from either. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const pkg = JSON.parse(readFileSync(resolve(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };

export const toolName: string = pkg.name;
export const toolVersion: string = pkg.version;
