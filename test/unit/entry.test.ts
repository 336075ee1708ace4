import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as fs from 'node:fs';

describe('package entry point', () => {
  it('package.json main and types point at the built index, which exports the library API', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      main: string;
      types: string;
    };
    assert.equal(pkg.main, 'dist/index.js');
    assert.equal(pkg.types, 'dist/index.d.ts');
    assert.ok(fs.existsSync(path.resolve(__dirname, '../../src/index.ts')));
  });

  it('exports the connection, the verbs, the parsers and the error class', async () => {
    const api = await import('../../src');
    for (const name of ['DeviceConnection', 'probeDevice', 'Plug', 'Camera', 'identify', 'parsePlugCommand', 'parseCameraActions', 'TapoError']) {
      assert.equal(typeof (api as Record<string, unknown>)[name], 'function', name);
    }
    const err = new api.TapoError('Input', 'unexpected', { params: { detail: 'bad' } });
    assert.ok(api.isTapoError(err, 'Input'));
  });
});
