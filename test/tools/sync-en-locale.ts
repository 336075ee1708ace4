/**
 * Writes the `reasons`, `hints` and `statuses` sections of nodes/locales/en-US/tapo-device.json
 * from the English tables of src/protocol/reasons (the one source of the English texts). Run it
 * after adding a reason: `npx ts-node --transpile-only test/tools/sync-en-locale.ts`. The test
 * test/nodes/reasons.test.ts fails while the catalog and the tables differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HINTS, REASONS, STATUSES } from '../../src/protocol/reasons';

const file = path.resolve(__dirname, '../../nodes/locales/en-US/tapo-device.json');
const catalog = JSON.parse(readFileSync(file, 'utf8')) as { 'tapo-device': Record<string, unknown> };
const sorted = (table: Readonly<Record<string, string | undefined>>): Record<string, string> =>
  Object.fromEntries(Object.entries(table).filter((e): e is [string, string] => e[1] !== undefined));
catalog['tapo-device'].reasons = sorted(REASONS);
catalog['tapo-device'].hints = sorted(HINTS);
catalog['tapo-device'].statuses = sorted(STATUSES);
writeFileSync(file, `${JSON.stringify(catalog, null, 2)}\n`);
process.stdout.write(`${path.relative(process.cwd(), file)}: ${Object.keys(REASONS).length} reasons, ${Object.keys(HINTS).length} hints, ${Object.keys(STATUSES).length} statuses\n`);
