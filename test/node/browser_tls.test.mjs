// An EventSource in Chromium over https://: Debian's Chromium (driven by
// playwright-core) trusts the test's self-signed certificate through
// --ignore-certificate-errors-spki-list with that certificate's SPKI hash,
// so the page is served and verified like any HTTPS origin, and a message
// published on the plain listener arrives in the page over the TLS one.
//
// Everything runs on loopback, on free ports, in a temporary directory; the
// bridge started here is stopped by its PID at the end. If Chromium cannot
// start, the test fails: it never skips. It takes 2-4 s alone; the hard
// bound is 30 s because Chromium starts much slower beside a parallel suite.
//
// Usage: node browser_tls.test.mjs /path/to/ssebridge
import { spawn, execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: browser_tls.test.mjs <ssebridge binary>');
  process.exit(2);
}
const kChromium = process.env.SSEBRIDGE_CHROMIUM || '/usr/bin/chromium';
const kWait = 8000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssebridge-tls-browser-'));
let bridge = null;

function cleanUp() {
  if (bridge && bridge.exitCode === null && bridge.signalCode === null) process.kill(bridge.pid, 'SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}

// The bridge with a plain and a TLS listener; resolves with both ports.
function startBridge(cert, key) {
  return new Promise((resolve, reject) => {
    bridge = spawn(binary, ['--listen', '127.0.0.1:0', '--listen', 'tls:127.0.0.1:0', '--tls-cert', cert,
                            '--tls-key', key], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`ssebridge did not start: ${output}`)), kWait);
    const onData = (chunk) => {
      output += chunk;
      const plain = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      const tls = /listening on tls:127\.0\.0\.1:(\d+)/.exec(output);
      if (plain && tls) {
        clearTimeout(timer);
        resolve({ plain: Number(plain[1]), tls: Number(tls[1]) });
      }
    };
    bridge.stdout.on('data', onData);
    bridge.stderr.on('data', onData);
    bridge.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ssebridge exited with ${code}: ${output}`)); });
  });
}

async function main() {
  const started = Date.now();
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                           '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
                           '-keyout', key, '-out', cert], { stdio: 'ignore' });
  // Chromium's pin: base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo.
  const spki = new crypto.X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  const pin = crypto.createHash('sha256').update(spki).digest('base64');

  const launching = chromium.launch({ executablePath: kChromium, timeout: 20000,
                                      args: [`--ignore-certificate-errors-spki-list=${pin}`] });
  launching.catch(() => {});  // Reported below, once the bridge is up.
  const ports = await startBridge(cert, key);
  let browser;
  try {
    browser = await launching;
  } catch (error) {
    throw new Error(`Chromium (${kChromium}) did not start; scripts/deps.sh --test installs it: ${error.message}`);
  }
  try {
    const page = await browser.newPage();
    // The bridge's own demo page makes the origin https://localhost:PORT.
    const response = await page.goto(`https://localhost:${ports.tls}/`, { timeout: kWait });
    assert.equal(response.status(), 200);
    assert.equal(await page.evaluate(() => location.protocol), 'https:');
    await page.evaluate(() => new Promise((resolve, reject) => {
      const source = new EventSource('/events?channel=secure');
      window.received = [];
      source.onmessage = (event) => window.received.push(event.data);
      source.onopen = () => resolve();
      source.onerror = () => reject(new Error(`EventSource error, readyState ${source.readyState}`));
    }));
    const published = await fetch(`http://127.0.0.1:${ports.plain}/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel: 'secure', data: 'over https in a browser' }),
    });
    assert.equal(published.status, 200);
    await page.waitForFunction(() => window.received.length > 0, null, { timeout: kWait });
    assert.deepEqual(await page.evaluate(() => window.received), ['over https in a browser']);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.plain}/metrics`)).text();
    assert.match(metrics, /^ssebridge_tls_handshakes_total [1-9]/m);
  } finally {
    await browser.close();
  }
  console.log(`ok   EventSource over https:// in Chromium (${Date.now() - started} ms)`);
  return 0;
}

const overall = setTimeout(() => {
  console.error('browser_tls: over 30 s; stopping');
  cleanUp();
  process.exit(1);
}, 30000);

main()
  .then((code) => { clearTimeout(overall); cleanUp(); process.exit(code); })
  .catch((error) => { clearTimeout(overall); console.log(`FAIL ${error.stack || error}`); cleanUp(); process.exit(1); });
