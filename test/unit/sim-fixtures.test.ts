import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixturesDir, listFixtures, loadFixture, normaliseMac } from '../../src/simulator/fixtures';

const ALL = [
  'C100_4.0_1.3.14',
  'C101(US)_5.0_1.4.3',
  'C210(EU)_2.0_1.4.3',
  'C210_2.0_1.3.11',
  'D100C(US)_1.0_1.1.3',
  'D130(US)_1.0_1.1.9',
  'H100(AU)_1.0_1.5.23',
  'H100(EU)_1.0_1.5.5',
  'H200(US)_1.0_1.3.6',
  'L510E(US)_3.0_1.1.2',
  'L530E(EU)_3.0_1.1.0',
  'L900-5(EU)_1.0_1.1.0',
  'L930-5(EU)_1.0_1.2.5',
  'P100(US)_1.0.0_1.1.3',
  'P100(US)_1.0.0_1.4.0',
  'P110(EU)_1.0_1.2.3',
  'P110(UK)_1.0_1.3.0',
  'P115(EU)_1.0_1.2.3',
  'P115(US)_1.0_1.1.3',
  'P300(EU)_1.0_1.0.15',
  'P304M(UK)_1.0_1.0.3',
  'S500D(US)_1.0_1.0.5',
  'S505D(US)_1.0_1.1.0',
  'TC70_3.0_1.3.11',
];

describe('simulator fixtures', () => {
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-fixtures-'));
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function write(name: string, content: unknown): string {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  it('lists every bundled fixture', () => {
    assert.deepEqual(listFixtures(), ALL);
    assert.ok(fixturesDir()!.endsWith(path.join('simulator', 'fixtures')));
  });

  it('derives family, model, MAC and scheme from each real dump', () => {
    const expected: Record<string, [string, string, string]> = {
      'P110(UK)_1.0_1.3.0': ['smart', 'P110', 'klap'],
      'P110(EU)_1.0_1.2.3': ['smart', 'P110', 'passthrough'],
      'P100(US)_1.0.0_1.1.3': ['smart', 'P100', 'passthrough'],
      'P300(EU)_1.0_1.0.15': ['smart', 'P300', 'klap'],
      'P304M(UK)_1.0_1.0.3': ['smart', 'P304M', 'klap'],
      'S500D(US)_1.0_1.0.5': ['smart', 'S500D', 'passthrough'],
      'S505D(US)_1.0_1.1.0': ['smart', 'S505D', 'klap'],
      'C210_2.0_1.3.11': ['camera', 'C210', 'camera-secure'],
      'C101(US)_5.0_1.4.3': ['camera', 'C101', 'tpap'],
      'TC70_3.0_1.3.11': ['camera', 'TC70', 'camera-secure'],
      'D130(US)_1.0_1.1.9': ['camera', 'D130', 'camera-secure'],
      'L510E(US)_3.0_1.1.2': ['smart', 'L510', 'klap'],
      'L930-5(EU)_1.0_1.2.5': ['smart', 'L930', 'klap'],
      'H100(EU)_1.0_1.5.5': ['smart', 'H100', 'passthrough'],
      'H100(AU)_1.0_1.5.23': ['smart', 'H100', 'klap'],
      'H200(US)_1.0_1.3.6': ['camera', 'H200', 'camera-secure'],
    };
    for (const [name, [family, model, scheme]] of Object.entries(expected)) {
      const f = loadFixture(name);
      assert.equal(f.name, name);
      assert.equal(f.family, family, name);
      assert.equal(f.model, model, name);
      assert.equal(f.defaultScheme, scheme, name);
      assert.match(f.mac, /^([0-9A-F]{2}-){5}[0-9A-F]{2}$/);
    }
    const p110 = loadFixture('P110(UK)_1.0_1.3.0');
    assert.match(p110.mac, /^48-22-54-/, "the capture's TP-Link OUI");
    assert.notEqual(p110.mac, '48-22-54-00-00-00', 'the zeroed tail is filled in');
    assert.equal(p110.discovery.device_type, 'SMART.TAPOPLUG');
    assert.ok('get_energy_usage' in p110.data);
  });

  it('accepts a name with .json and a file path', () => {
    const byExt = loadFixture('C100_4.0_1.3.14.json');
    assert.equal(byExt.name, 'C100_4.0_1.3.14');
    const byPath = loadFixture(byExt.path);
    assert.deepEqual(byPath.data, byExt.data);
  });

  it('returns a fresh copy each time', () => {
    const a = loadFixture('P110(UK)_1.0_1.3.0');
    (a.data.get_device_info as { device_on: boolean }).device_on = true;
    const b = loadFixture('P110(UK)_1.0_1.3.0');
    assert.equal((b.data.get_device_info as { device_on: boolean }).device_on, false);
  });

  it('names the available fixtures when a name is unknown', () => {
    assert.throws(() => loadFixture('P999_9.9'), (err: Error) => {
      assert.match(err.message, /Unknown fixture "P999_9.9"/);
      assert.match(err.message, /P110\(UK\)_1\.0_1\.3\.0/);
      return true;
    });
    assert.throws(() => loadFixture(path.join(tmp, 'missing.json')), /not found/);
  });

  it('rejects malformed files with the path in the message', () => {
    const bad = write('bad.json', '{"get_device_info": ');
    assert.throws(() => loadFixture(bad), (err: Error) => err.message.includes(bad) && /not valid JSON/.test(err.message));
    const arr = write('array.json', '[1,2]');
    assert.throws(() => loadFixture(arr), /must be a JSON object/);
    const noInfo = write('noinfo.json', { discovery_result: { result: { device_type: 'SMART.TAPOPLUG' } } });
    assert.throws(() => loadFixture(noInfo), /no get_device_info/);
  });

  it('maps the advertised scheme of synthetic dumps', () => {
    const legacyCam = write('legacy-cam.json', {
      discovery_result: { result: { device_type: 'SMART.IPCAMERA', mac: 'aa:bb:cc:dd:ee:ff' } },
      getDeviceInfo: { device_info: { basic_info: { device_model: 'C200' } } },
    });
    const cam = loadFixture(legacyCam);
    assert.equal(cam.family, 'camera');
    assert.equal(cam.defaultScheme, 'camera-legacy');
    assert.equal(cam.mac, 'AA-BB-CC-DD-EE-FF');

    const tpapPlug = write('tpap-plug.json', {
      discovery_result: { result: { device_type: 'SMART.TAPOPLUG', mgt_encrypt_schm: { encrypt_type: 'TPAP' } } },
      get_device_info: { model: 'P110M', mac: '11-22-33-44-55-66' },
    });
    assert.equal(loadFixture(tpapPlug).defaultScheme, 'tpap');

    const noDiscovery = write('camera-no-discovery.json', {
      getDeviceInfo: { device_info: { basic_info: { device_model: 'C520WS', mac: '665544332211' } } },
    });
    const f = loadFixture(noDiscovery);
    assert.equal(f.family, 'camera');
    assert.equal(f.model, 'C520WS');
    assert.equal(f.mac, '66-55-44-33-22-11');
  });

  it('normalises MAC spellings', () => {
    assert.equal(normaliseMac('48:22:54:ab:cd:ef'), '48-22-54-AB-CD-EF');
    assert.equal(normaliseMac('788CB5000000'), '78-8C-B5-00-00-00');
  });
});
