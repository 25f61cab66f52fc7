// The playground in a real browser (Debian's chromium, driven by playwright-core; no browser
// download). Run by ctest (tests/web/CMakeLists.txt):
//   node browser_test.cjs --site DIR --reference PROGRAM --expressions FILE --out DIR --chromium PATH
// Checks: every program of expressions.txt loaded from its URL fragment and stepped to the end
// gives the native engine's gradients (PROGRAM prints them); the lessons; predict mode's score; a
// syntax error's column; the keys; node and edge details; gradcheck; and the budgets (page plus
// wasm size, first graph after load, a step of a 500-node graph), which it prints as figures and
// does not assert (a loaded CI machine is no place to time; the note quotes a quiet run's figures).
// Screenshots go into --out. Exits 1 on the first failed check group, saying what failed.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

function options() {
  const out = {};
  const args = process.argv.slice(2);
  for (let i = 0; i + 1 < args.length; i += 2) out[args[i].replace(/^--/, '')] = args[i + 1];
  for (const required of ['site', 'reference', 'expressions', 'out', 'chromium']) {
    if (!out[required]) throw new Error('browser_test: --' + required + ' is required');
  }
  return out;
}

let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures += 1;
    console.log('FAILED: ' + what);
  }
}

// "inf", "-inf", "nan" or a number, as kindling writes exact values.
function number(text) {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan') return NaN;
  return Number(text);
}

// The same double up to the last bits, where the browser's libm and the host's may differ.
function close(a, b) {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
}

async function open(page, site, fragment) {
  await page.goto('about:blank');
  await page.goto('file://' + path.join(site, 'index.html') + '#' + fragment);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state) &&
                                   (document.body.dataset.state === 'error' ||
                                    document.body.dataset.frame !== undefined),
                             null, { timeout: 20000 });
}

const state = (page) => page.evaluate(() => Object.assign({}, document.body.dataset));
const gradients = (page) => page.evaluate(() =>
  [...document.querySelectorAll('#kp-gradients tr[data-leaf]')].map((r) => [r.dataset.leaf, r.dataset.grad]));

async function main() {
  const opts = options();
  fs.mkdirSync(opts.out, { recursive: true });
  const browser = await chromium.launch({ executablePath: opts.chromium, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const shot = (name) => page.screenshot({ path: path.join(opts.out, name + '.png') });

  // 1. The budgets: size, then the first graph after load.
  const sizes = ['index.html', 'playground.js', 'playground.css', 'kindling.js'].map(
      (f) => fs.statSync(path.join(opts.site, f)).size);
  const pageBytes = sizes.reduce((a, b) => a + b, 0);
  console.log('FIGURE page_plus_wasm_bytes=' + pageBytes + ' (viz.js not counted: ' +
              fs.statSync(path.join(opts.site, 'viz.js')).size + ')');
  check(pageBytes <= 2 * 1024 * 1024, 'page plus wasm is ' + pageBytes + ' bytes, over 2 MB');

  // 2. Every program against the native engine.
  const reference = execFileSync(opts.reference, [opts.expressions], { encoding: 'utf8' })
      .trim().split('\n').map((line) => JSON.parse(line));
  check(reference.length >= 20, 'only ' + reference.length + ' programs');
  const firstGraph = [];
  for (const entry of reference) {
    await open(page, opts.site, entry.fragment);
    const s = await state(page);
    firstGraph.push(Number(s.firstGraphMs));
    check(s.state === 'ready' && s.complete === 'true', entry.program + ': not stepped to the end (' +
          JSON.stringify(s) + ')');
    const got = await gradients(page);
    check(got.length === entry.grads.length, entry.program + ': ' + got.length + ' rows, expected ' +
          entry.grads.length);
    entry.grads.forEach(([leaf, grad], i) => {
      const row = got[i] || [];
      check(row[0] === leaf && close(number(row[1]), number(grad)),
            entry.program + ': ' + leaf + '.grad is ' + row[1] + ' in the page, ' + grad + ' natively');
    });
  }
  firstGraph.sort((a, b) => a - b);
  const medianFirst = firstGraph[Math.floor(firstGraph.length / 2)];
  console.log('FIGURE first_graph_ms median=' + medianFirst + ' max=' + firstGraph[firstGraph.length - 1] +
              ' over ' + firstGraph.length + ' loads');
  console.log('checked ' + reference.length + ' programs against the native engine');

  // 3. The link, and its screenshot.
  const neuron = 'expr=tanh(x1*w1%2Bx2*w2%2Bb)&x1=2&x2=0&w1=-3&w2=1&b=6.8813735870195432&step=end';
  await open(page, opts.site, neuron);
  const rows = await gradients(page);
  check(rows.length === 5 && rows[0][0] === 'x1' && close(number(rows[0][1]), -1.5),
        'the neuron link: ' + JSON.stringify(rows));
  await shot('neuron_end');

  // 4. Keys: arrows, Home, End, space.
  await open(page, opts.site, neuron.replace('step=end', 'step=0'));
  await page.locator('#kp-graph').click({ position: { x: 2, y: 2 } });
  for (let i = 0; i < 3; ++i) await page.keyboard.press('ArrowRight');
  check((await state(page)).frame === '3', 'three right arrows: frame ' + (await state(page)).frame);
  await page.keyboard.press('ArrowLeft');
  check((await state(page)).frame === '2', 'left arrow');
  await page.keyboard.press('End');
  const frames = Number((await state(page)).frames);
  check((await state(page)).frame === String(frames - 1), 'End');
  await page.keyboard.press('Home');
  check((await state(page)).frame === '0', 'Home');
  await page.keyboard.press(' ');
  await page.waitForTimeout(1300);
  await page.keyboard.press(' ');
  const played = Number((await state(page)).frame);
  check(played >= 2, 'space played to frame ' + played);
  await page.waitForTimeout(700);
  check(Number((await state(page)).frame) === played, 'space again stops playing');
  check(page.url().includes('step=' + played), 'the fragment follows the step: ' + page.url());

  // 5. Details: a node and an edge at the end of the backward pass.
  await page.keyboard.press('End');
  await page.locator('g.node[data-node="0"]').first().click();
  const nodeText = await page.locator('#kp-details').textContent();
  check(nodeText.includes('x1') && nodeText.includes('grad: -1.4999999999999996'),
        'node details: ' + nodeText);
  await page.locator('g.node[data-node="2"]').first().click();  // n2 = x1 * w1
  const opText = await page.locator('#kp-details').textContent();
  check(opText.includes('n2 = x1 * w1') && opText.includes('d n2/d x1 = w1 = -3'), 'op details: ' + opText);
  await page.locator('g.edge[data-edge="0"] path').first().click({ force: true });
  const edgeText = await page.locator('#kp-details').textContent();
  check(edgeText.includes('x1 \u2192 n2') && edgeText.includes('it added -3 *'), 'edge details: ' + edgeText);

  // 6. gradcheck.
  await page.selectOption('#kp-gradcheck-leaf', 'w1');
  await page.click('#kp-gradcheck');
  const relative = Number(await page.locator('#kp-gradcheck-result').getAttribute('data-relative-error'));
  check(relative < 1e-6, 'gradcheck of w1: relative error ' + relative);

  // 7. Predict mode: right answers, then wrong ones, scored.
  await open(page, opts.site, neuron.replace('step=end', 'step=0') + '&predict=1');
  const phases = JSON.parse((await state(page)).phases);
  await open(page, opts.site, neuron.replace('step=end', 'step=' + phases.backward) + '&predict=1');
  await page.click('#kp-next');
  check(!(await page.locator('#kp-questions').isHidden()), 'predict mode asks before the step');
  check((await state(page)).frame === String(phases.backward), 'predict mode holds the step back');
  await page.fill('#kp-guess-0', '0.5');  // tanh's slope at 0.7071
  await page.click('#kp-answer');
  check((await state(page)).frame === String(phases.backward + 1), 'the answer reveals the step');
  for (let step = 0; step < 2; ++step) {  // the two sums: right answers
    await page.click('#kp-next');
    for (const input of await page.locator('input.guess').all())
      await input.fill(await input.getAttribute('data-expected'));
    await page.click('#kp-answer');
  }
  await page.click('#kp-next');
  for (const input of await page.locator('input.guess').all()) await input.fill('12345');
  await shot('predict');
  await page.click('#kp-answer');
  const score = await page.locator('#kp-score');
  const right = Number(await score.getAttribute('data-right'));
  const wrong = Number(await score.getAttribute('data-wrong'));
  check(right === 5 && wrong === 2, 'predict score: ' + right + ' right, ' + wrong + ' wrong');

  // 8. A syntax error shows its column.
  await open(page, opts.site, 'expr=' + encodeURIComponent('2 * (x1 +') + '&x1=1');
  check((await state(page)).state === 'error', 'a syntax error');
  const error = page.locator('#kp-error');
  check((await error.getAttribute('data-column')) === '10', 'the error column: ' +
        (await error.getAttribute('data-column')));
  check((await error.textContent()).includes('at column 10'), 'the error text');
  await shot('syntax_error');

  // 9. The lessons, each from the menu, stepped to the end.
  await open(page, opts.site, neuron);
  const lessons = await page.evaluate(() => [...document.querySelectorAll('#kp-lesson option')]
      .map((o) => o.value).filter((v) => v));
  check(lessons.length >= 6, 'lessons: ' + lessons.join(', '));
  for (const lesson of lessons) {
    await page.selectOption('#kp-lesson', lesson);
    await page.waitForFunction(() => document.body.dataset.frame === '0');
    await page.keyboard.press('End');
    const s = await state(page);
    check(s.complete === 'true', 'lesson ' + lesson + ' steps to the end');
    if (lesson === 'micrograd') {
      const g = Object.fromEntries(await gradients(page));
      check(Math.abs(number(g.a) - 138.8338) < 1e-4 && Math.abs(number(g.b) - 645.5773) < 1e-4,
            'micrograd lesson: ' + JSON.stringify(g));
    }
    if (lesson === 'second') {
      const g = Object.fromEntries(await gradients(page));
      check(close(number(g.x), 6) && close(number(g.y), 0.75), 'second derivatives: ' + JSON.stringify(g));
      await page.evaluate((f) => { location.hash = location.hash.replace(/step=[^&]*/, 'step=' + f); },
                          JSON.parse(s.phases)['gradient-graph'] + 2);
      await page.waitForFunction(() => document.body.dataset.phase === 'gradient-graph');
      await shot('lesson_second_gradient_graph');
    }
    if (lesson === 'micrograd' || lesson === 'mlp') await shot('lesson_' + lesson);
  }

  // 10. 500 nodes: a step within 50 ms.
  const terms = [];
  for (let k = 1; k <= 100; ++k) terms.push('tanh(x*' + (k / 50) + ' + b)');
  await open(page, opts.site, 'expr=' + encodeURIComponent(terms.join(' + ')) + '&x=0.3&b=-0.1&step=0');
  const big = await state(page);
  check(Number(big.nodes) >= 500, 'the big graph has ' + big.nodes + ' nodes');
  console.log('FIGURE layout_ms nodes=' + big.nodes + ' ms=' + big.layoutMs);
  await page.keyboard.press('End');
  const times = [];
  for (let i = 0; i < 30; ++i) {
    const ms = await page.evaluate(() => {
      const started = performance.now();
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
      return performance.now() - started;
    });
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  const medianStep = times[Math.floor(times.length / 2)];
  console.log('FIGURE step_ms nodes=' + big.nodes + ' median=' + medianStep.toFixed(2) + ' max=' +
              times[times.length - 1].toFixed(2));
  await shot('big_graph');

  check(errors.length === 0, 'page errors: ' + errors.join('; '));
  await browser.close();
  if (failures > 0) {
    console.log(failures + ' checks failed');
    process.exit(1);
  }
  console.log('all browser checks passed');
}

main().catch((e) => {
  console.log('FAILED: ' + (e.stack || e));
  process.exit(1);
});
