// Framing check with an independent WHATWG EventSource implementation (the
// npm `eventsource` package): every payload we publish must arrive byte for
// byte, with the right event type and id, through a real ssebridge process.
//
// Usage: node eventsource_framing.test.mjs /path/to/ssebridge
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: eventsource_framing.test.mjs <ssebridge binary>');
  process.exit(2);
}

function startBridge() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--listen', '127.0.0.1:0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error('bridge did not start: ' + output)), 10000);
    child.stderr.on('data', (chunk) => {
      output += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error('bridge exited with ' + code + ': ' + output)));
  });
}

async function publish(port, body) {
  const response = await fetch(`http://127.0.0.1:${port}/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  return json.id;
}

// Payloads chosen to break naive framing: every line ending, blank lines,
// field-like lines, leading spaces and colons, empty data, non-ASCII text.
const cases = [
  { data: 'plain' },
  { data: '' },
  { data: ' leading space' },
  { data: '  two leading spaces' },
  { data: ':looks like a comment' },
  { data: 'a\nb' },
  { data: 'a\r\nb' },
  { data: 'a\rb' },
  { data: 'a\n\nb' },
  { data: 'trailing newline\n' },
  { data: '\n' },
  { data: 'id: 999\nevent: evil\ndata: x\nretry: 1' },
  { data: 'tab\there and \u00e9\u4e2d\u6587 \ud83d\ude80' },
  { data: { nested: { z: 1, a: [1, 2, 3] }, text: 'x\ny' }, expected: '{"nested":{"z":1,"a":[1,2,3]},"text":"x\\ny"}' },
  { data: 42, expected: '42' },
  { data: null, expected: 'null' },
  { data: 'named', event: 'custom-type' },
  { data: 'named again\r\nwith lines', event: 'update' },
];

// The WHATWG parser normalises CRLF and CR to LF inside data.
function normalise(text) {
  return text.replace(/\r\n|\r/g, '\n');
}

async function main() {
  const { child, port } = await startBridge();
  let exitCode = 1;
  try {
    const received = [];
    let allArrived;
    const arrived = new Promise((resolve) => { allArrived = resolve; });
    const source = new EventSource(`http://127.0.0.1:${port}/events?channel=framing`);
    const record = (event) => {
      received.push({ type: event.type, data: event.data, id: event.lastEventId });
      if (received.length === cases.length) allArrived();
    };
    source.onmessage = record;
    source.addEventListener('custom-type', record);
    source.addEventListener('update', record);
    await new Promise((resolve, reject) => {
      source.onopen = resolve;
      source.onerror = (error) => reject(new Error('EventSource error: ' + (error.message || error.type)));
    });

    const ids = [];
    for (const c of cases) {
      const body = { channel: 'framing', data: c.data };
      if (c.event) body.event = c.event;
      ids.push(await publish(port, body));
    }
    let timer;
    await Promise.race([arrived, new Promise((resolve) => { timer = setTimeout(resolve, 10000); })]);
    clearTimeout(timer);
    source.close();

    assert.equal(received.length, cases.length, 'every published message arrives exactly once');
    cases.forEach((c, i) => {
      const expected = c.expected ?? normalise(c.data);
      assert.equal(received[i].data, expected, `case ${i} data`);
      assert.equal(received[i].type, c.event ?? 'message', `case ${i} type`);
      assert.equal(received[i].id, ids[i], `case ${i} id`);
    });
    console.log(`ok - ${cases.length} payloads framed correctly for a WHATWG EventSource`);
    exitCode = 0;
  } catch (error) {
    console.error('not ok -', error.stack || error);
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
  process.exitCode = exitCode;
}

main();
