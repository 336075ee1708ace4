/**
 * Browser end-to-end tests: `startDemo` (simulated devices on 127.0.0.1 and a real Node-RED child
 * process with every example deployed) driven through a headless Chromium by playwright-core
 * (CHROMIUM_PATH or CHROME_PATH, else chromium, chromium-browser or google-chrome on PATH).
 *
 * 1. The editor's palette shows the "tapo" category with our action nodes under their labels
 *    (and tapo-device is registered as a config node).
 * 2. An example is imported through menu ▸ Import ▸ Examples, deployed, an inject button is
 *    clicked, and the debug sidebar shows the device's answer; the simulated plug really toggled.
 * 3. The dashboard's plug switch flips the simulated plug (checked on the simulator's state), and
 *    its snapshot button shows the camera's picture, decoded by the browser at 640×360.
 * 4. Exports, the flows API, the log and flows_cred.json hold no credentials.
 * 5. The help of every node fits the sidebar at its default width: no property type or code
 *    sticks out, each property type sits beside its name (screenshots of each help, page by page).
 * 6. A flow with a plug and a camera tapo-device is imported and deployed: a plug node's device
 *    list offers plugs only, a camera node's cameras only, and a device added from a camera node
 *    starts as a camera. A camera node left on a plug is flagged invalid, and its dialog keeps
 *    that device, marked, instead of silently picking another.
 *
 * 7. Scan network in a tapo-device dialog: a range of loopback addresses where two simulated
 *    devices answer discovery lists both; Use fills the host (with the device's port); Add selected
 *    devices adds one config node each, the plug one using the dialog's account.
 *
 * Screenshots go to test-artifacts/. Every wait is bounded (≤ 30 s). Chromium missing ⇒ the
 * suite fails naming the package to install (Debian's chromium); it never skips. Needs `npm run build` (nodes/*.js ⇒ dist/).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_DEVICES, DEMO_PASSWORD, startDemo } from '../../src/demo/start';
import type { RunningDemo } from '../../src/demo/start';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { artifact, freePort, launchBrowser, requireChromium, waitUntil, within } from './browser';
import type { Browser } from './browser';

const root = path.resolve(__dirname, '../..');
/** Our palette entries and the labels they show (nodes/locales/en-US/<type>.json paletteLabel). */
const PALETTE_LABELS: Record<string, string> = {
  'tapo-plug-control': 'plug switch',
  'tapo-plug-energy': 'plug energy',
  'tapo-light': 'light',
  'tapo-camera-get': 'camera read',
  'tapo-camera-do': 'camera action',
  'tapo-event': 'events',
  'tapo-sensor': 'hub sensors',
};
const OUR_PALETTE_TYPES = Object.keys(PALETTE_LABELS);
const EXAMPLE = '01 - Plug on, off and toggle';

/** A flow with one plug and one camera tapo-device and a node on each (hosts on which nothing listens: nothing connects). */
const KIND_FLOW = [
  { id: 'e2e_plug_dev', type: 'tapo-device', name: 'E2E plug', host: '127.0.0.1:9', kind: 'plug', scheme: 'auto', timeout: 10 },
  { id: 'e2e_camera_dev', type: 'tapo-device', name: 'E2E camera', host: '127.0.0.1:9', kind: 'camera', scheme: 'auto', timeout: 10 },
  { id: 'e2e_plug_ctl', type: 'tapo-plug-control', name: '', device: 'e2e_plug_dev', action: 'payload', socket: '', x: 200, y: 80, wires: [[]] },
  { id: 'e2e_camera_get', type: 'tapo-camera-get', name: '', device: 'e2e_camera_dev', names: ['privacyMode'], x: 200, y: 160, wires: [[]] },
];

/** The value and text of each option of the edit dialog's device select. */
async function deviceOptions(page: Page): Promise<{ value: string; text: string }[]> {
  const select = page.locator('#node-input-device');
  await select.waitFor({ state: 'visible' });
  return select.locator('option').evaluateAll((options) =>
    options.map((o) => ({ value: (o as unknown as { value: string }).value, text: (o.textContent ?? '').trim() })),
  );
}

/** The kind of each tapo-device the editor holds, by id. */
async function deviceKinds(page: Page): Promise<Record<string, string>> {
  return (await page.evaluate(
    "Object.fromEntries(RED.nodes.createCompleteNodeSet().filter((n) => n.type === 'tapo-device').map((n) => [n.id, n.kind]))",
  )) as Record<string, string>;
}

describe('browser: editor and dashboard (headless Chromium)', function () {
  this.timeout(60_000);
  let demo: RunningDemo | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let userDir = '';

  before(async function () {
    this.timeout(90_000);
    requireChromium();
    assert.ok(
      fs.existsSync(path.join(root, 'dist', 'nodes', 'tapo-device.js')),
      'the nodes are not built: run `npm run build` first',
    );
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-e2e-node-red-'));
    demo = await startDemo({ uiPort: await freePort(), userDir, anySimPort: true });
    await within(demo.ready, 30_000, 'Node-RED did not start its flows');
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });

  after(async function () {
    this.timeout(30_000);
    if (browser) await browser.close();
    if (demo) await demo.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('the editor shows the tapo palette category with our nodes', async () => {
    await page.goto(demo!.editorUrl);
    const category = page.locator('#red-ui-palette-container-tapo');
    await category.waitFor({ state: 'visible' });
    await category.locator('#red-ui-palette-header-tapo').scrollIntoViewIfNeeded();
    for (const type of OUR_PALETTE_TYPES) {
      await category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).waitFor({ state: 'visible' });
    }
    assert.equal(await category.locator('.red-ui-palette-node').count(), OUR_PALETTE_TYPES.length);
    // Each says what it does (a long label wraps onto two lines, as core's "websocket out" does).
    for (const [type, label] of Object.entries(PALETTE_LABELS)) {
      const shown = await category.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).innerText();
      assert.equal(shown.replace(/\s+/g, ' ').trim(), label, type);
    }
    // The config node has no palette entry; it must be registered as a config type.
    const configCategory: unknown = await page.evaluate("RED.nodes.getType('tapo-device') && RED.nodes.getType('tapo-device').category");
    assert.equal(configCategory, 'config');
    const configLabel: unknown = await page.evaluate("(() => { const def = RED.nodes.getType('tapo-device'); return def.paletteLabel.call(def); })()");
    assert.equal(configLabel, 'tapo device');
    // Show the category at the top of the palette for the screenshot.
    await page.evaluate(
      "document.getElementById('red-ui-palette-container').scrollTop = document.getElementById('red-ui-palette-container-tapo').offsetTop - 40",
    );
    await page.screenshot({ path: artifact('e2e-1-palette.png') });
  });

  it('imports an example, deploys it, and an inject shows the device answer in the debug sidebar', async () => {
    const lamp = demo!.byConfigId.tapo_demo_plug2!.logic as PlugLogic;
    const before = lamp.state.on;

    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
    const library = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await library.getByText('@tapo-local/node-red-tapo', { exact: true }).click();
    await library.getByText(EXAMPLE, { exact: true }).click();
    await page.locator('.red-ui-clipboard-dialog-box, #red-ui-clipboard-dialog').getByText('new flow', { exact: true }).click();
    await page.click('#red-ui-clipboard-dialog-ok');
    // The demo already runs this example: Node-RED offers to import a copy. The copy's nodes get
    // new ids and reuse the existing tapo-device config nodes, which point at the simulators.
    await page.getByRole('button', { name: 'Import copy' }).click();
    // Imported nodes follow the mouse until a click places them.
    const chart = page.locator('#red-ui-workspace-chart');
    const box = await chart.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + 250, box.y + 200);
    await page.mouse.click(box.x + 250, box.y + 200);

    const inject = page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group', { hasText: 'Toggle the lamp' });
    await inject.waitFor({ state: 'visible' });
    assert.equal(await inject.count(), 1, 'the new flow holds one copy of the example');

    await page.click('#red-ui-header-button-deploy');
    await page.locator('#red-ui-header-button-deploy.disabled').waitFor({ state: 'attached' });

    // The sidebar's debug tab (its bug icon button).
    await page.locator('.red-ui-tab-link-button[href="#debug"]').click();
    await page.locator('.red-ui-debug-content-list').waitFor({ state: 'visible' });

    await inject.locator('.red-ui-flow-node-button').click();
    const answer = page.locator('.red-ui-debug-msg', { hasText: 'P100' }).first();
    await answer.waitFor({ state: 'visible' });
    await waitUntil(() => lamp.state.on === !before, 'the simulated lamp plug to toggle');
    const text = await answer.innerText();
    assert.match(text, /Lamp plug answer/);
    assert.match(text, new RegExp(`on: ${String(!before)}|"on":${String(!before)}`));
    await page.screenshot({ path: artifact('e2e-2-imported-example.png') });
  });

  it('the dashboard switch flips the simulated plug', async () => {
    const desk = demo!.byConfigId.tapo_demo_plug!.logic as PlugLogic;
    await page.goto(`${demo!.dashboardUrl}/home`);
    const widget = page.locator('#nrdb-ui-widget-tapo_ex06_plug_switch');
    await widget.waitFor({ state: 'visible' });
    const input = widget.locator('input[type="checkbox"]');
    // The switch shows what the plug reports (a status read at start and every 10 s).
    await waitUntil(async () => (await input.isChecked()) === desk.state.on, 'the switch to show the plug state');
    const before = desk.state.on;
    await input.click();
    await waitUntil(() => desk.state.on === !before, 'the simulated desk plug to switch');
    // The plug's answer is fed back to the (decoupled) switch.
    await page.waitForFunction(
      `document.querySelector('#nrdb-ui-widget-tapo_ex06_plug_switch input[type="checkbox"]').checked === ${String(!before)}`,
    );
    if (!before) {
      // Plug on: the next energy poll (every 5 s) puts 85 W on the gauge.
      await page.locator('#nrdb-ui-widget-tapo_ex06_gauge', { hasText: '85' }).waitFor({ state: 'visible', timeout: 20_000 });
    }
    await page.screenshot({ path: artifact('e2e-3-dashboard.png'), fullPage: true });
  });

  it("the dashboard's snapshot button shows the porch camera's picture (example 08)", async () => {
    await page.goto(`${demo!.dashboardUrl}/home`);
    const button = page.locator('#nrdb-ui-widget-tapo_ex08_button button');
    await button.waitFor({ state: 'visible' });
    await button.click();
    // The ui-template shows the JPEG the flow took, as a data: URL, once it has loaded and decoded.
    const image = page.locator('#nrdb-ui-widget-tapo_ex08_image img');
    await image.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(String(await image.getAttribute('src')), /^data:image\/jpeg;base64,\/9j\//);
    await page.waitForFunction("(() => { const i = document.querySelector('#nrdb-ui-widget-tapo_ex08_image img'); return i && i.complete && i.naturalWidth === 640 && i.naturalHeight === 360; })()");
    await page.screenshot({ path: artifact('e2e-3b-snapshot.png'), fullPage: true });
    // The same picture was written to a file, in the demo's user directory.
    const dir = path.join(userDir, 'snapshots');
    await waitUntil(() => fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.jpg')), 'the snapshot file to be written');
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.jpg'))!;
    assert.equal(fs.readFileSync(path.join(dir, file)).subarray(0, 2).toString('hex'), 'ffd8');
  });

  it("the dashboard's colour picker colours the simulated bulb; the hub's sensors fill their table (example 10)", async () => {
    const bulb = demo!.byConfigId.tapo_demo_light!.logic as PlugLogic;
    await page.goto(`${demo!.dashboardUrl}/home`);
    const picker = page.locator('#nrdb-ui-widget-tapo_ex10_color input[type="color"]');
    await picker.waitFor({ state: 'visible' });
    // A colour input's value is set and its change event fired, as a user's pick does.
    await page.evaluate(
      "(() => { const i = document.querySelector('#nrdb-ui-widget-tapo_ex10_color input[type=\\'color\\']'); i.value = '#00ff00'; i.dispatchEvent(new Event('change', { bubbles: true })); })()",
    );
    await waitUntil(() => bulb.state.on === true && bulb.lightState?.hue === 120 && bulb.lightState?.saturation === 100, 'the simulated bulb to turn green', 20_000);
    // The state the bulb reports comes back to the page: the switch shows it on.
    await page.waitForFunction("document.querySelector('#nrdb-ui-widget-tapo_ex10_light_switch input[type=\"checkbox\"]')?.checked === true", undefined, { timeout: 20_000 });
    // The sensors table is filled by the hub sensors node (every 30 s, first after 3 s).
    const table = page.locator('#nrdb-ui-widget-tapo_ex10_table');
    await table.getByText('Front door').waitFor({ state: 'visible', timeout: 30_000 });
    await table.getByText('Living room climate').waitFor({ state: 'visible' });
    await page.screenshot({ path: artifact('e2e-3c-lights-and-sensors.png'), fullPage: true });
  });

  it('Scan network lists the devices that answer in a range; Use fills the host; Add selected adds config nodes', async () => {
    // A loopback /29 of this test's own (127.A.B.0), so runs on this host do not meet on port 20002.
    const net = `127.${16 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}`;
    const sims: SimulatedDevice[] = [];
    try {
      sims.push(await startDevice({ host: `${net}.2`, fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 20002, password: DEMO_PASSWORD }));
      sims.push(await startDevice({ host: `${net}.3`, fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', discoveryPort: 20002, password: DEMO_PASSWORD }));
      await page.goto(demo!.editorUrl);
      await page.locator('#red-ui-palette-container-tapo').waitFor({ state: 'visible' });
      await page.waitForFunction("RED.nodes.node('tapo_demo_plug') !== null", undefined, { timeout: 20_000 });
      await page.evaluate("RED.editor.editConfig('', 'tapo-device', 'tapo_demo_plug')");
      await page.locator('#node-config-tapo-scan').click();
      await page.fill('#node-config-tapo-scan-range', `${net}.1-${net}.6`);
      await page.locator('#node-config-tapo-scan-run').click();
      const rows = page.locator('#node-config-tapo-scan-results tbody tr');
      await waitUntil(async () => (await rows.count()) >= 2, 'two devices in the scan list', 20_000);
      const text = await page.locator('#node-config-tapo-scan-results').innerText();
      assert.match(text, /P110/);
      assert.match(text, /C210/);
      assert.match(text, new RegExp(`${net.replace(/\./g, '\\.')}\\.2`));
      await page.locator('#node-config-tapo-scan-panel').screenshot({ path: artifact('e2e-7-scan.png') });
      // Use on the plug's row: its address with the simulator's port, kind and scheme.
      const plugRow = page.locator('#node-config-tapo-scan-results tbody tr', { hasText: 'P110' });
      await plugRow.locator('button').click();
      assert.equal(await page.locator('#node-config-input-host').inputValue(), `${net}.2:${sims[0]!.port}`);
      assert.equal(await page.locator('#node-config-input-kind').inputValue(), 'plug');
      // Add both: one config node each; the plug uses this dialog's account, the camera its own.
      for (const box of await page.locator('#node-config-tapo-scan-results .tapo-scan-pick').all()) await box.check();
      await page.locator('#node-config-tapo-scan-add-button').click();
      const added = (await page.evaluate(
        `RED.nodes.createCompleteNodeSet().filter((n) => n.type === 'tapo-device' && String(n.host).startsWith('${net}.')).map((n) => ({ host: n.host, kind: n.kind, account: n.account }))`,
      )) as { host: string; kind: string; account: string }[];
      added.sort((a, b) => a.host.localeCompare(b.host));
      assert.deepEqual(added, [
        { host: `${net}.2:${sims[0]!.port}`, kind: 'plug', account: 'tapo_demo_plug' },
        { host: `${net}.3:${sims[1]!.port}`, kind: 'camera', account: '' },
      ]);
      await page.click('#node-config-dialog-cancel');
      await page.locator('#node-config-tapo-scan').waitFor({ state: 'detached' });
    } finally {
      await Promise.all(sims.map((s) => s.stop()));
    }
  });

  it('an export of every flow, the flows API, the Node-RED log and flows_cred.json carry no credentials', async () => {
    await page.goto(demo!.editorUrl);
    await page.locator('#red-ui-palette-container-tapo').waitFor({ state: 'visible' });
    // The palette shows before the flows have loaded: wait until the editor holds the config nodes.
    await page.waitForFunction(
      `RED.nodes.createCompleteNodeSet().filter((n) => n.type === 'tapo-device').length >= ${DEMO_DEVICES.length}`,
      undefined,
      { timeout: 20_000 },
    );
    // What Menu > Export > all flows writes, and what the editor loads from the admin API.
    const exported = String(await page.evaluate('JSON.stringify(RED.nodes.createCompleteNodeSet())'));
    const api = String(
      await page.evaluate("fetch('flows', { headers: { 'Node-RED-API-Version': 'v1' } }).then((r) => r.text())"),
    );
    for (const [what, text] of [['export', exported], ['flows API', api]] as const) {
      const devices = (JSON.parse(text) as { type?: string; id?: string }[]).filter((n) => n.type === 'tapo-device');
      assert.ok(devices.length >= DEMO_DEVICES.length, `${what}: the tapo-device config nodes are in it`);
      assert.ok(!text.includes(DEMO_PASSWORD), `${what} holds the password`);
      assert.ok(!text.includes('user@example.com'), `${what} holds the user name`);
    }
    const log = demo!.log();
    assert.match(log, /Started flows/);
    assert.ok(!log.includes(DEMO_PASSWORD), 'the Node-RED log holds the password');
    // At rest the credentials are encrypted, as in a user's own Node-RED, and Node-RED says nothing about it.
    assert.doesNotMatch(log, /unencrypted credentials/i);
    const stored = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    assert.deepEqual(Object.keys(JSON.parse(stored) as object), ['$']);
    assert.ok(!stored.includes(DEMO_PASSWORD) && !stored.includes('user@example.com'), 'flows_cred.json is plain text');
  });

  it("every node's help fits the sidebar: no type or code is cut off, each type beside its name", async () => {
    // Still in the editor of the previous test. Hide the help's topic list: the help gets the height.
    await page.evaluate("RED.sidebar.help.show('tapo-device')");
    if (await page.locator('#red-ui-sidebar-help-show-toc.selected').count()) await page.click('#red-ui-sidebar-help-show-toc');
    await page.mouse.move(400, 400);
    const panel = page.locator('.red-ui-sidebar-help-stack .red-ui-help').first().locator('xpath=..');
    for (const type of ['tapo-device', ...OUR_PALETTE_TYPES]) {
      await page.evaluate(`RED.sidebar.help.show(${JSON.stringify(type)})`);
      await panel.locator('dl.message-properties').first().waitFor({ state: 'visible' });
      const fit = (await page.evaluate(`(() => {
        const panel = document.querySelector('.red-ui-sidebar-help-stack .red-ui-help').parentElement;
        const help = panel.querySelector('.red-ui-help .red-ui-help');
        const right = panel.getBoundingClientRect().left + panel.clientWidth;
        const text = (el) => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
        const cut = [];
        for (const el of help.querySelectorAll('dt, dd, p, li, code, .property-type')) {
          const r = el.getBoundingClientRect();
          if (r.width > 0 && r.right > right + 0.5) cut.push(text(el) + ' (+' + Math.round(r.right - right) + ' px)');
        }
        const dropped = [];
        for (const dt of help.querySelectorAll('dl.message-properties > dt')) {
          const type = dt.querySelector('.property-type');
          if (!type) dropped.push(text(dt) + ': no property-type');
          else if (type.getBoundingClientRect().top > dt.getBoundingClientRect().top + 5) dropped.push(text(dt));
        }
        return { width: panel.clientWidth, scrollWidth: panel.scrollWidth, cut, dropped };
      })()`)) as { width: number; scrollWidth: number; cut: string[]; dropped: string[] };
      assert.deepEqual(fit.cut, [], `${type}: cut off at the sidebar's ${fit.width} px`);
      assert.deepEqual(fit.dropped, [], `${type}: property types pushed below their name`);
      assert.ok(fit.scrollWidth <= fit.width, `${type}: the help scrolls sideways`);
      // The whole help, one screen of the panel at a time.
      const { height, total } = (await panel.evaluate((el) => ({ height: el.clientHeight, total: el.scrollHeight }))) as { height: number; total: number };
      for (let top = 0, i = 1; top < total; top += height, i++) {
        await panel.evaluate((el, y) => {
          el.scrollTop = y;
        }, top);
        await panel.screenshot({ path: artifact(`e2e-5-help-${type}-${i}.png`) });
      }
    }
  });

  it('a plug node lists only plug devices, a camera node only cameras; a device of the wrong kind is flagged and kept', async () => {
    await page.goto(demo!.editorUrl);
    await page.locator('#red-ui-palette-container-tapo').waitFor({ state: 'visible' });
    await page.waitForFunction(
      `RED.nodes.createCompleteNodeSet().filter((n) => n.type === 'tapo-device').length >= ${DEMO_DEVICES.length}`,
      undefined,
      { timeout: 20_000 },
    );

    // Import the flow into a new tab, place it, deploy it.
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-clipboard a');
    await page.fill('#red-ui-clipboard-dialog-import-text', JSON.stringify(KIND_FLOW));
    // The dialog checks the text on keyup.
    await page.press('#red-ui-clipboard-dialog-import-text', 'End');
    await page.locator('.red-ui-clipboard-dialog-box, #red-ui-clipboard-dialog').getByText('new flow', { exact: true }).click();
    await page.click('#red-ui-clipboard-dialog-ok');
    const chart = page.locator('#red-ui-workspace-chart');
    const box = await chart.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + 200, box.y + 120);
    await page.mouse.click(box.x + 200, box.y + 120);
    await page.locator('#e2e_plug_ctl').waitFor({ state: 'visible' });
    await page.click('#red-ui-header-button-deploy');
    await page.locator('#red-ui-header-button-deploy.disabled').waitFor({ state: 'attached' });
    // The import and deploy notices close by themselves (5 s); the screenshots need them gone.
    await page.waitForFunction("document.querySelectorAll('.red-ui-notification').length === 0", undefined, { timeout: 15_000 });

    // Labels made from the configuration: the device's name and what the node does.
    assert.equal(await page.locator('#e2e_plug_ctl .red-ui-flow-node-label').textContent(), 'E2E plug: switch');
    assert.equal(await page.locator('#e2e_camera_get .red-ui-flow-node-label').textContent(), 'E2E camera: read privacy mode');

    const kinds = await deviceKinds(page);
    assert.equal(kinds.e2e_plug_dev, 'plug');
    assert.equal(kinds.e2e_camera_dev, 'camera');

    // The plug node's device select: our plug (selected), no camera at all.
    await page.locator('#e2e_plug_ctl').dblclick();
    let options = await deviceOptions(page);
    let devices = options.filter((o) => o.value !== '_ADD_');
    assert.ok(devices.some((o) => o.value === 'e2e_plug_dev' && o.text === 'E2E plug'), JSON.stringify(options));
    assert.equal(await page.locator('#node-input-device').inputValue(), 'e2e_plug_dev');
    for (const o of devices) assert.notEqual(kinds[o.value], 'camera', `the plug node offers the camera ${o.text}`);
    assert.ok(!devices.some((o) => o.value === 'e2e_camera_dev'));
    // A closed select shows one option: list them all for the screenshot.
    await page.evaluate("$('#node-input-device').attr('size', $('#node-input-device option').length)");
    await page.screenshot({ path: artifact('e2e-6-plug-device-select.png') });
    await page.click('#node-dialog-cancel');
    await page.locator('#node-input-device').waitFor({ state: 'detached' });

    // The camera node's device select: cameras only.
    await page.locator('#e2e_camera_get').dblclick();
    options = await deviceOptions(page);
    devices = options.filter((o) => o.value !== '_ADD_');
    assert.ok(devices.some((o) => o.value === 'e2e_camera_dev'), JSON.stringify(options));
    for (const o of devices) assert.equal(kinds[o.value], 'camera', `the camera node offers the plug ${o.text}`);
    // A device added from here starts as a camera, so it shows in this list once added.
    await page.click('#node-input-btn-device-add');
    await page.locator('#node-config-input-kind').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#node-config-input-kind').inputValue(), 'camera');
    await page.click('#node-config-dialog-cancel');
    await page.locator('#node-config-input-kind').waitFor({ state: 'detached' });
    await page.click('#node-dialog-cancel');
    await page.locator('#node-input-device').waitFor({ state: 'detached' });

    // A camera node left on the plug device (an old flow): invalid, with the reason.
    await page.evaluate(`RED.view.importNodes([{ id: 'e2e_camera_do', type: 'tapo-camera-do', z: RED.workspaces.active(), name: '', device: 'e2e_plug_dev', actions: '{"privacyMode": true}', x: 200, y: 240, wires: [[]] }], { touchImport: true, notify: false })`);
    await page.mouse.click(box.x + 200, box.y + 300);
    const wrong = page.locator('#e2e_camera_do');
    await wrong.waitFor({ state: 'visible' });
    const state = (await page.evaluate("(() => { const n = RED.nodes.node('e2e_camera_do'); return { valid: n.valid, errors: n.validationErrors }; })()")) as { valid: boolean; errors: string[] };
    assert.equal(await wrong.locator('.red-ui-flow-node-label').textContent(), 'E2E plug: set privacy mode');
    assert.equal(state.valid, false);
    assert.deepEqual(state.errors, ['This node controls cameras, but its tapo-device is set to plug.']);
    await wrong.locator('.red-ui-flow-node-error').waitFor({ state: 'visible' });
    // Its dialog keeps the plug, marked, in red, rather than switching to a camera unasked.
    await wrong.dblclick();
    options = await deviceOptions(page);
    assert.equal(await page.locator('#node-input-device').inputValue(), 'e2e_plug_dev');
    assert.ok(options.some((o) => o.value === 'e2e_plug_dev' && o.text === 'E2E plug (a plug: pick a camera)'), JSON.stringify(options));
    await page.locator('#node-input-device.input-error').waitFor({ state: 'attached' });
    // Hovering the select shows the reason.
    await page.hover('#node-input-device');
    await page.locator('.red-ui-popover', { hasText: 'This node controls cameras' }).waitFor({ state: 'visible' });
    await page.screenshot({ path: artifact('e2e-7-wrong-kind-device.png') });
    await page.click('#node-dialog-cancel');
    await page.locator('#node-input-device').waitFor({ state: 'detached' });
  });
});
