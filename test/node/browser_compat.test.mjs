// Real browser, real servers: Debian's Chromium (driven by playwright-core)
// opens pages that the old SSE servers' users have, against the real
// ssebridge binary, and the test reads what each page actually received.
//
//   a) native EventSource: named events and an IntraMine-style signal with no
//      payload, from an HTTP publish, a Redis envelope and the FIFO;
//   b) cyclone-sse's jQuery plugin shape with native EventSource, cross-origin
//      and same-origin through nginx with cyclone-sse's own location block;
//   c) the same page with EventSource removed, so the polyfill long-polls
//      with $.ajax, cross-origin (CORS) and same-origin through nginx;
//   d) Alfresco's session lifetime: --max-stream-age 1 while a publisher
//      keeps publishing; every message arrives once, in order, across the
//      reconnects.
//
// Publishers are the seeds' own: `redis-cli publish base '[1, 2, 3]'`,
// `curl -X POST -d "message=%5B123%2C+124%5D&channel=base" .../publish` and
// `echo "color/q1 = go" > fifo`.
//
// Everything runs on loopback, on free ports, in temporary directories; every
// process started here is stopped by its PID at the end. If Chromium cannot
// start, the test fails: it never skips.
//
// Usage: node browser_compat.test.mjs /path/to/ssebridge
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: browser_compat.test.mjs <ssebridge binary>');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const kChromium = process.env.SSEBRIDGE_CHROMIUM || '/usr/bin/chromium';
const kNginx = '/usr/sbin/nginx';
const kWait = 10000;  // Longest wait for any one thing a page should receive.

const children = [];  // Every process started here, stopped by PID at the end.
const tempDirs = [];

function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts a long-running process and resolves once `ready` matches its output
// (stdout and stderr together), with the match.
function startProcess(name, command, args, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push({ name, child });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${kWait} ms: ${output}`)), kWait);
    const onData = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => { clearTimeout(timer); reject(new Error(`${name}: ${error.message}`)); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}: ${output}`)); });
  });
}

// Runs a short command (a publisher) to completion; resolves with its stdout.
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${command} took over ${kWait} ms`)); },
                             kWait);
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

async function until(what, condition, timeout = kWait) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // Bridge and Redis state has no event to await from here: poll it.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function getJson(url) {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

async function startRedis() {
  const port = await freePort();
  const dir = tempDir('ssebridge-redis-');
  await startProcess('redis-server', 'redis-server',
                     ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                      '--dir', dir, '--protected-mode', 'no'],
                     /Ready to accept connections/);
  return port;
}

async function startBridge(args) {
  const { match } = await startProcess('ssebridge', binary, ['--listen', '127.0.0.1:0', ...args],
                                       /listening on 127\.0\.0\.1:(\d+)/);
  const port = Number(match[1]);
  // In Redis mode, ready means both Redis connections are up.
  await until('the bridge to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
  return port;
}

// Debian's nginx with cyclone-sse's location block, exactly as its README
// gives it, in front of the bridge, and the pages from the page server on
// the same origin.
async function startNginx(bridgePort, pagePort) {
  if (!fs.existsSync(kNginx)) throw new Error(`${kNginx} is missing: scripts/deps.sh --test installs nginx`);
  const port = await freePort();
  const dir = tempDir('ssebridge-nginx-');
  fs.chmodSync(dir, 0o755);  // Workers run as an unprivileged user when nginx starts as root.
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location /sse/ {
        rewrite                 ^(.*)$ / break; # to root of our tornado
        proxy_buffering         off; # to push immediately
        proxy_pass              http://127.0.0.1:${bridgePort};
    }
    location / {
        proxy_pass              http://127.0.0.1:${pagePort};
    }
  }
}
`);
  const child = spawn(kNginx, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push({ name: 'nginx', child });
  // nginx logs nothing on a successful start: wait until it serves a page.
  await until('nginx to serve the page', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/native.html`)).status === 200;
    } catch {
      return false;
    }
  });
  return port;
}

// The pages: the fixtures and jQuery from npm, on a port of their own (so a
// page here is cross-origin to the bridge).
async function startPageServer() {
  const files = {
    '/native.html': [path.join(here, 'fixtures/native.html'), 'text/html'],
    '/cyclone.html': [path.join(here, 'fixtures/cyclone.html'), 'text/html'],
    '/jquery.eventsource.shim.js': [path.join(here, 'fixtures/jquery.eventsource.shim.js'), 'text/javascript'],
    '/jquery.sse.shim.js': [path.join(here, 'fixtures/jquery.sse.shim.js'), 'text/javascript'],
    '/jquery.js': [path.join(here, 'node_modules/jquery/dist/jquery.min.js'), 'text/javascript'],
  };
  const server = http.createServer((request, response) => {
    const file = files[new URL(request.url, 'http://x').pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': file[1] });
    response.end(fs.readFileSync(file[0]));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const seeds = {
  // The seeds' publishers, as their READMEs show them.
  redisCli: async (redisPort, channel, payload) => {
    const receivers = await run('redis-cli', ['-p', String(redisPort), 'publish', channel, payload]);
    assert.ok(Number(receivers) >= 1, `redis-cli publish ${channel}: no bridge was subscribed (${receivers.trim()})`);
  },
  curlForm: async (bridgePort) => {
    const head = await run('curl', ['-sS', '--dump-header', '-', '-o', '/dev/null', '-X', 'POST', '-d',
                                    'message=%5B123%2C+124%5D&channel=base', `http://127.0.0.1:${bridgePort}/publish`]);
    assert.match(head, /^HTTP\/1\.1 200/, head);
  },
  fifo: (fifo, line) => run('sh', ['-c', `echo "${line}" > ${fifo}`]),
};

async function publishJson(bridgePort, body) {
  const response = await fetch(`http://127.0.0.1:${bridgePort}/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer.id;
}

// Waits until the page has received `count` entries and returns them all.
async function received(page, count) {
  try {
    await page.waitForFunction((n) => window.received.length >= n, count, { timeout: kWait, polling: 20 });
  } catch (error) {
    const got = await page.evaluate(() => window.received);
    throw new Error(`the page received ${JSON.stringify(got)}, expected ${count} entries`);
  }
  return page.evaluate(() => window.received);
}

// PUBSUB NUMSUB over a plain socket: how many clients (bridges) Redis has
// subscribed to `channel`. Polled, so not worth a redis-cli process each time.
function numsub(redisPort, channel) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(redisPort, '127.0.0.1');
    const args = ['PUBSUB', 'NUMSUB', channel];
    socket.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
    let reply = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk;
      // The reply is *2, the channel as a bulk string, then :<count>.
      const match = /:(\d+)\r\n$/.exec(reply);
      if (!match) return;
      socket.destroy();
      resolve(Number(match[1]));
    });
    socket.on('close', () => reject(new Error(`PUBSUB NUMSUB ${channel}: reply ${JSON.stringify(reply)}`)));
  });
}

// Waits until the bridge serves `streams` streams or polls and `channel` is
// subscribed in Redis, so that a plain PUBLISH now reaches the page.
async function subscribed(bridgePort, redisPort, channel, streams = 1) {
  await until(`a subscriber of ${channel}`, async () => {
    const stats = await getJson(`http://127.0.0.1:${bridgePort}/stats`);
    if (stats.body.streams < streams || !(stats.body.channels[channel] >= 1)) return false;
    return (await numsub(redisPort, channel)) >= 1;
  });
}

// The page's contexts are closed between cases; wait until the bridge has
// noticed, so that the next case's "subscribed" means its own page.
async function idle(bridgePort) {
  await until('the previous page to disconnect', async () => (await getJson(`http://127.0.0.1:${bridgePort}/stats`))
    .body.streams === 0);
}

const cases = [];
// Cases on the shared bridge run one after the other (each waits for the
// previous page to leave); a case with a bridge of its own runs beside them.
function testCase(name, fn, { alone = false } = {}) { cases.push({ name, fn, alone }); }

testCase('a) native EventSource: named events and a signal without data', async (env) => {
  const page = await env.newPage();
  const url = `http://127.0.0.1:${env.bridge}/events/todo/color`;
  await page.goto(`${env.pages}/native.html?url=${encodeURIComponent(url)}&events=update,todochanged,q1`);
  await subscribed(env.bridge, env.redis, 'todo');
  await subscribed(env.bridge, env.redis, 'color');
  const id = await publishJson(env.bridge, { channel: 'todo', event: 'update', data: 'v1' });
  await received(page, 1);
  // IntraMine: another server asks for a broadcast that carries nothing.
  const signalId = await publishJson(env.bridge, { channel: 'todo', event: 'todochanged' });
  await received(page, 2);
  await env.seeds.redisCli(env.redis, 'todo', '{"event":"todochanged"}');
  await received(page, 3);
  await env.seeds.fifo(env.fifo, 'color/q1 = go');
  const got = await received(page, 4);
  assert.deepEqual(got, [
    { type: 'update', data: 'v1', id },
    { type: 'todochanged', data: '', id: signalId },
    // A plain PUBLISH has no id: the browser keeps the last one it saw.
    { type: 'todochanged', data: '', id: signalId },
    { type: 'q1', data: 'go', id: got[3].id },
  ]);
  assert.ok(Number(got[3].id) > Number(signalId), 'the FIFO line got a newer id');
});

// cyclone-sse's page: the plugin on a div, messages decoded as JSON.
async function cycloneCase(env, { address, noEventSource, origin }) {
  const page = await env.newPage();
  const query = `address=${encodeURIComponent(address)}${noEventSource ? '&noEventSource=1' : ''}`;
  await page.goto(`${origin}/cyclone.html?${query}`);
  assert.equal(await page.evaluate(() => $.eventsource.hasNativeSupport), !noEventSource);
  await subscribed(env.bridge, env.redis, 'base');
  await env.seeds.redisCli(env.redis, 'base', '[1, 2, 3]');
  await received(page, 1);
  if (noEventSource) {
    // Cross-origin, the polyfill's polls carry no cookie, so nothing is held
    // for it between polls (docs/compat.md): publish while a poll is open.
    await page.waitForFunction(() => $.eventsource.polls > $.eventsource.answers, null, { timeout: kWait });
    await subscribed(env.bridge, env.redis, 'base');
  }
  await env.seeds.curlForm(env.bridge);
  const got = await received(page, 2);
  assert.deepEqual(got, [[1, 2, 3], [123, 124]]);
  assert.deepEqual(await page.evaluate(() => window.errors), []);
  if (noEventSource) {
    const polls = await page.evaluate(() => ({ polls: $.eventsource.polls, answers: $.eventsource.answers }));
    assert.ok(polls.answers >= 2, `the messages came in poll answers: ${JSON.stringify(polls)}`);
  }
}

testCase('b) cyclone-sse jQuery plugin, native EventSource, cross-origin', async (env) => {
  await cycloneCase(env, { address: `http://127.0.0.1:${env.bridge}/`, noEventSource: false, origin: env.pages });
});

testCase('b) cyclone-sse jQuery plugin, native EventSource, same origin through nginx', async (env) => {
  await cycloneCase(env, { address: '/sse/', noEventSource: false, origin: env.nginx });
});

testCase('c) cyclone-sse jQuery plugin, no EventSource: long polling, cross-origin', async (env) => {
  await cycloneCase(env, { address: `http://127.0.0.1:${env.bridge}/`, noEventSource: true, origin: env.pages });
});

testCase('c) cyclone-sse jQuery plugin, no EventSource: long polling, same origin through nginx', async (env) => {
  await cycloneCase(env, { address: '/sse/', noEventSource: true, origin: env.nginx });
});

testCase('d) Alfresco session lifetime: --max-stream-age 1 loses and repeats nothing', async (env) => {
  const page = await env.newPage();
  const url = `http://127.0.0.1:${env.agingBridge}/events/orders`;
  await page.goto(`${env.pages}/native.html?url=${encodeURIComponent(url)}`);
  await page.waitForFunction(() => window.opens >= 1, null, { timeout: kWait });
  // A page resumes from the last id it received: a stream that ends before
  // its first event leaves nothing to resume from (docs/compat.md), which on
  // a slow machine can be the first stream here. So the sequence starts once
  // a warm-up event has arrived; a warm-up lost that way is published again.
  for (let attempt = 0; ; ++attempt) {
    assert.ok(attempt < 20, 'no warm-up event reached the page in 20 attempts');
    await publishJson(env.agingBridge, { channel: 'orders', data: `warm-up ${attempt}` });
    const arrived = await page
      .waitForFunction(() => window.received.length >= 1, null, { timeout: 500, polling: 20 })
      .then(() => true, () => false);
    if (arrived) break;
  }
  // A continuous publisher, every 40 ms, until the page has reconnected at
  // least twice (two ages crossed), and at least 50 messages.
  let count = 0;
  const started = Date.now();
  while (count < 50 || (await page.evaluate(() => window.opens)) < 3) {
    assert.ok(count < 250, 'the stream was not reopened twice within 250 messages');
    await publishJson(env.agingBridge, { channel: 'orders', data: `m${count}` });
    ++count;
    // Pacing, not synchronisation: the messages must span several ages.
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  const sequence = () => window.received.filter((event) => !event.data.startsWith('warm-up'));
  try {
    await page.waitForFunction((n) => window.received.filter((event) => !event.data.startsWith('warm-up')).length >= n,
                                count, { timeout: kWait, polling: 20 });
  } catch (error) {
    // Reported with what did arrive, below.
  }
  const got = await page.evaluate(sequence);
  assert.deepEqual(got.map((event) => event.data), Array.from({ length: count }, (_, n) => `m${n}`));
  const opens = await page.evaluate(() => window.opens);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(opens >= 3, `the stream was reopened ${opens - 1} time(s) in ${seconds} s`);
  const metrics = await (await fetch(`http://127.0.0.1:${env.agingBridge}/metrics`)).text();
  const aged = Number(/^ssebridge_streams_aged_total (\d+)$/m.exec(metrics)[1]);
  assert.ok(aged >= opens - 1, `aged ${aged}, opens ${opens}`);
}, { alone: true });

async function main() {
  const started = Date.now();
  // Chromium starts while the servers do.
  const launching = chromium.launch({ executablePath: kChromium, timeout: 30000 });
  launching.catch(() => {});  // Reported below, once the servers are up.
  const pageServer = await startPageServer();
  const pagePort = pageServer.address().port;
  const pagesOrigin = `http://127.0.0.1:${pagePort}`;
  const redis = await startRedis();
  const fifo = path.join(tempDir('ssebridge-fifo-'), 'sse.fifo');
  // --retry 300: the polyfill waits `retry` between polls, and EventSource
  // before reconnecting; the default 3 s would make the test slow.
  const bridge = await startBridge(['--redis', `redis://127.0.0.1:${redis}`, '--cors-origin', pagesOrigin,
                                    '--fifo', fifo, '--retry', '300']);
  const agingBridge = await startBridge(['--max-stream-age', '1', '--cors-origin', pagesOrigin]);
  const nginxPort = await startNginx(bridge, pagePort);

  let browser;
  try {
    browser = await launching;
  } catch (error) {
    throw new Error(`Chromium (${kChromium}) did not start; scripts/deps.sh --test installs it: ${error.message}`);
  }
  let failures = 0;
  const runCase = async ({ name, fn, alone }) => {
    const caseStarted = Date.now();
    const context = await browser.newContext();
    const env = {
      bridge, agingBridge, redis, fifo, seeds,
      pages: pagesOrigin,
      nginx: `http://127.0.0.1:${nginxPort}`,
      newPage: () => context.newPage(),
    };
    try {
      await fn(env);
      console.log(`ok   ${name} (${Date.now() - caseStarted} ms)`);
    } catch (error) {
      ++failures;
      console.log(`FAIL ${name}: ${error.stack || error}`);
    } finally {
      await context.close();
      if (!alone) await idle(bridge).catch(() => {});
    }
  };
  try {
    const beside = Promise.all(cases.filter((c) => c.alone).map(runCase));
    for (const testcase of cases.filter((c) => !c.alone)) await runCase(testcase);
    await beside;
  } finally {
    await browser.close();
    pageServer.close();
  }
  console.log(`${cases.length - failures}/${cases.length} cases passed in ${Date.now() - started} ms`);
  return failures === 0 ? 0 : 1;
}

function stopAll() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.removeAllListeners('exit');
      // By PID, each one started here (nginx's master takes its workers along).
      process.kill(child.pid, 'SIGTERM');
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
}

// The whole file is bounded: a hang fails it instead of holding up CI.
const overall = setTimeout(() => {
  console.error('browser_compat: over 90 s; stopping');
  stopAll();
  process.exit(1);
}, 90000);

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`browser_compat: ${error.stack || error}`);
} finally {
  clearTimeout(overall);
  stopAll();
}
process.exit(exitCode);
