// Photographs pages in a running headless Chromium over the DevTools protocol, for
// scripts/beads_ui_screenshots.py: `node cdp_shots.mjs <page websocket url> <jobs.json>`.
// Each job is {url, png, expect: [text...], absent: [text...], width, height}: the page is
// loaded, and shot once all the expected texts are in its rendered text and none of the absent
// ones (its data came over beads-ui's websocket, which Chromium's own --screenshot does not
// wait for). A JavaScript dialog (an alert from
// markup that ran) fails the job. It uses the `ws` package from beads-ui's own node_modules
// (BDUI_NODE_MODULES), so it adds no dependency. Errors: one line on stderr, exit status 1.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(process.env.BDUI_NODE_MODULES + '/');
const WebSocket = require('ws');

const [pageUrl, jobsFile] = process.argv.slice(2);
const jobs = JSON.parse(readFileSync(jobsFile, 'utf8'));
const socket = new WebSocket(pageUrl, { perMessageDeflate: false });
const pending = new Map();
let counter = 0;
let dialog = null;

function fail(message) {
  process.stderr.write(`cdp_shots: ${message}\n`);
  process.exit(1);
}

function send(method, params = {}) {
  const id = ++counter;
  socket.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}

socket.on('message', (data) => {
  const message = JSON.parse(data.toString());
  if (message.method === 'Page.javascriptDialogOpening') {
    dialog = message.params.message;
    send('Page.handleJavaScriptDialog', { accept: true });
  }
  const waiter = message.id !== undefined ? pending.get(message.id) : undefined;
  if (waiter) {
    pending.delete(message.id);
    if (message.error) {
      waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    } else {
      waiter.resolve(message.result);
    }
  }
});
socket.on('error', (err) => fail(String(err)));

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function rendered(expect, absent) {
  const check = `(() => { const text = document.body ? document.body.innerText : '';
    return ${JSON.stringify(expect)}.every((t) => text.includes(t))
      && !${JSON.stringify(absent)}.some((t) => text.includes(t)); })()`;
  const { result } = await send('Runtime.evaluate', { expression: check, returnByValue: true });
  return result.value === true;
}

async function shoot(job) {
  await send('Emulation.setDeviceMetricsOverride',
    { width: job.width, height: job.height, deviceScaleFactor: 1, mobile: false });
  await send('Page.navigate', { url: 'about:blank' });
  await send('Page.navigate', { url: job.url });
  const deadline = Date.now() + 30000;
  while (!(await rendered(job.expect, job.absent || []))) {
    if (Date.now() > deadline) {
      const { result } = await send('Runtime.evaluate',
        { expression: 'document.body ? document.body.innerText.slice(0, 300) : ""',
          returnByValue: true });
      fail(`${job.url}: never showed ${JSON.stringify(job.expect)}; it shows: `
        + JSON.stringify(result.value));
    }
    await sleep(100);
  }
  await sleep(500); // let the last frames of the render settle
  if (dialog !== null) {
    fail(`${job.url}: the page opened a dialog (${JSON.stringify(dialog)})`);
  }
  const { data } = await send('Page.captureScreenshot', { format: 'png' });
  writeFileSync(job.png, Buffer.from(data, 'base64'));
}

socket.on('open', async () => {
  try {
    await send('Page.enable');
    await send('Runtime.enable');
    for (const job of jobs) {
      await shoot(job);
    }
  } catch (err) {
    fail(String(err && err.message ? err.message : err));
  }
  socket.close();
  process.exit(0);
});
