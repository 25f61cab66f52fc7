// The playground's page logic. Every number it shows comes from kindling (kindling.js, the engine
// compiled to WebAssembly: Session in web/src/playground.cpp); this file only lays out kindling's
// DOT once with Graphviz and restyles that drawing frame by frame (Note [one layout] in
// web/include/kindling/web/playground.hpp). User text reaches the page through textContent only.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const reserved = new Set(['expr', 'step', 'order', 'wrt', 'lesson', 'predict']);

  let kindling = null;  // the WebAssembly module
  let viz = null;       // Graphviz
  let loaded = null;    // what load() said about the program
  let lessons = [];
  let frame = 0;
  let nodes = [];       // per node: {group, opGroup, data, grad} (SVG elements)
  let edges = [];       // per edge: {group, label}
  let playing = null;
  let answered = new Set();  // frames whose questions were answered (predict mode)
  let score = {right: 0, wrong: 0};
  let firstGraph = true;

  function call(name, ...args) {
    const result = JSON.parse(kindling[name](...args));
    if (result && !Array.isArray(result) && result.error !== undefined) throw new Error(result.error);
    return result;
  }

  // The fragment: expr, the variables in order, step, order, wrt, lesson, predict. '+' stays a
  // plus (only %2B-style escapes are decoded), so pasted links with a raw '+' still work.
  function readFragment() {
    const state = {expr: null, variables: [], step: null, order: 1, wrt: '', lesson: '', predict: false};
    const hash = location.hash.replace(/^#/, '');
    if (!hash) return state;
    for (const part of hash.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      let key, value;
      try {
        key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
        value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      } catch (e) {
        continue;  // a malformed escape: ignore that part
      }
      if (key === 'expr') state.expr = value;
      else if (key === 'step') state.step = value;
      else if (key === 'order') state.order = value === '2' ? 2 : 1;
      else if (key === 'wrt') state.wrt = value;
      else if (key === 'lesson') state.lesson = value;
      else if (key === 'predict') state.predict = value === '1';
      else if (!reserved.has(key)) state.variables.push([key, value]);
    }
    return state;
  }

  function writeFragment() {
    if (!loaded) return;
    const parts = ['expr=' + encodeURIComponent($('kp-expr').value)];
    for (const [name, value] of parseValues($('kp-vars').value)) {
      parts.push(encodeURIComponent(name) + '=' + encodeURIComponent(value));
    }
    if (loaded.order === 2) parts.push('order=2', 'wrt=' + encodeURIComponent($('kp-wrt').value));
    if ($('kp-lesson').value) parts.push('lesson=' + encodeURIComponent($('kp-lesson').value));
    if ($('kp-predict').checked) parts.push('predict=1');
    parts.push('step=' + (frame === loaded.frames - 1 ? 'end' : String(frame)));
    history.replaceState(null, '', '#' + parts.join('&'));
  }

  // "x1=2 x2=0, w1=-3" -> [["x1","2"], ...]
  function parseValues(text) {
    const out = [];
    for (const item of text.split(/[\s,;]+/)) {
      if (!item) continue;
      const eq = item.indexOf('=');
      out.push(eq < 0 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)]);
    }
    return out;
  }

  function showError(message, column) {
    const box = $('kp-error');
    box.textContent = message;
    box.hidden = false;
    box.dataset.column = column === undefined ? '' : String(column);
    body.dataset.state = 'error';
    if (column !== undefined) {
      const input = $('kp-expr');
      input.focus();
      input.setSelectionRange(column - 1, column);
    }
  }

  async function build() {
    $('kp-error').hidden = true;
    stop();
    const variables = parseValues($('kp-vars').value).map(([n, v]) => n + '=' + v).join('\n');
    const order = Number($('kp-order').value);
    let result;
    try {
      result = JSON.parse(kindling.load($('kp-expr').value, variables, order, $('kp-wrt').value));
    } catch (e) {
      showError(String(e));
      return false;
    }
    if (result.error !== undefined) {
      loaded = null;
      showError(result.error, result.column);
      return false;
    }
    loaded = result;
    answered = new Set();
    const started = performance.now();
    const svg = await viz.renderSVGElement(loaded.dot);
    indexDrawing(svg);
    const graph = $('kp-graph');
    graph.replaceChildren(svg);
    body.dataset.layoutMs = (performance.now() - started).toFixed(1);
    const select = $('kp-gradcheck-leaf');
    select.replaceChildren(...loaded.variables.map((name) => new Option(name, name)));
    $('kp-gradients-caption').textContent = loaded.order === 2
        ? 'd/d(leaf) of d out/d' + $('kp-wrt').value + ' (second derivatives)'
        : 'd out/d(leaf): the gradients of the leaves';
    body.dataset.frames = String(loaded.frames);
    body.dataset.phases = JSON.stringify(loaded.phases);
    body.dataset.nodes = String(loaded.nodes);
    body.dataset.state = 'ready';
    return true;
  }

  // Finds each node's and edge's SVG elements once (Note [one layout]): records carry
  // id="kp-n<i>", op nodes the title n<i>_op, edges the title "n<p>->n<c>_op".
  function indexDrawing(svg) {
    nodes = [];
    for (let i = 0; i < loaded.nodes; ++i) nodes.push({group: null, opGroup: null, data: null, grad: null});
    for (const group of svg.querySelectorAll('g.node')) {
      const title = group.querySelector('title').textContent;
      const match = /^n(\d+)(_op)?$/.exec(title);
      if (!match) continue;
      const node = nodes[Number(match[1])];
      if (match[2]) {
        node.opGroup = group;
      } else {
        const texts = group.querySelectorAll('text');
        node.group = group;
        node.data = texts[1];
        node.grad = texts[2];
      }
      group.dataset.node = match[1];
    }
    const byPair = new Map();
    loaded.edge_list.forEach(([parent, child], e) => {
      const key = 'n' + parent + '->n' + child + '_op';
      if (!byPair.has(key)) byPair.set(key, []);
      byPair.get(key).push(e);
    });
    edges = loaded.edge_list.map(() => ({group: null, label: null}));
    for (const group of svg.querySelectorAll('g.edge')) {
      const list = byPair.get(group.querySelector('title').textContent);
      if (!list || list.length === 0) continue;
      const e = list.shift();
      edges[e].group = group;
      edges[e].label = group.querySelector('text');
      group.dataset.edge = String(e);
    }
  }

  function show(target) {
    if (!loaded) return;
    const started = performance.now();
    frame = Math.max(0, Math.min(loaded.frames - 1, target));
    const state = call('frame', frame);
    state.nodes.forEach(([classes, data, grad], i) => {
      const node = nodes[i];
      if (!node.group) return;
      node.group.setAttribute('class', 'node ' + classes);
      if (node.data) node.data.textContent = data;
      if (node.grad) node.grad.textContent = grad;
      if (node.opGroup) node.opGroup.setAttribute('class', 'node op ' + classes);
    });
    state.edges.forEach(([classes, label], e) => {
      const edge = edges[e];
      if (!edge.group) return;
      edge.group.setAttribute('class', 'edge ' + classes);
      if (edge.label) edge.label.textContent = label;
    });
    $('kp-text').textContent = state.text;
    $('kp-phase').textContent = state.title;
    $('kp-position').textContent = 'frame ' + frame + ' of ' + (loaded.frames - 1);
    body.dataset.frame = String(frame);
    body.dataset.phase = state.phase;
    body.dataset.complete = String(state.complete);
    $('kp-questions').hidden = true;
    showGradients(state.complete);
    writeFragment();
    body.dataset.stepMs = (performance.now() - started).toFixed(2);
    if (firstGraph) {
      firstGraph = false;
      body.dataset.firstGraphMs = performance.now().toFixed(1);
    }
  }

  function showGradients(complete) {
    const table = $('kp-gradients');
    table.hidden = !complete;
    const rows = [];
    if (complete) {
      for (const [name, grad, shown] of call('gradients')) {
        const row = document.createElement('tr');
        row.dataset.leaf = name;
        row.dataset.grad = grad;  // exact: the shortest text that reads back as the same double
        row.title = grad;
        for (const text of [name, shown]) {
          const cell = document.createElement('td');
          cell.textContent = text;
          row.append(cell);
        }
        rows.push(row);
      }
    }
    table.tBodies[0].replaceChildren(...rows);
  }

  // Predict mode: before a backward step is shown, ask for each gradient it will leave.
  function next() {
    if (!loaded) return;
    if ($('kp-predict').checked && !answered.has(frame)) {
      const questions = call('questions', frame);
      if (questions.length > 0) {
        ask(questions);
        return;
      }
    }
    show(frame + 1);
  }

  function ask(questions) {
    stop();
    const list = $('kp-question-list');
    list.replaceChildren(...questions.map((q, k) => {
      const label = document.createElement('label');
      label.textContent = q.input + '.grad after this step = ';
      const input = document.createElement('input');
      input.type = 'text';
      input.id = 'kp-guess-' + k;
      input.className = 'guess';
      input.dataset.expected = q.expected;
      input.dataset.input = q.input;
      label.append(input);
      return label;
    }));
    $('kp-questions').hidden = false;
    $('kp-guess-0').focus();
  }

  function answer(event) {
    event.preventDefault();
    const feedback = [];
    for (const input of $('kp-question-list').querySelectorAll('input.guess')) {
      const verdict = call('check', input.value, input.dataset.expected);
      const ok = verdict.valid && verdict.correct;
      if (ok) ++score.right;
      else ++score.wrong;
      feedback.push((ok ? 'right: ' : 'not quite: ') + input.dataset.input + '.grad = ' +
                    input.dataset.expected + (verdict.valid ? '' : ' (that was not a number)'));
    }
    const scoreBox = $('kp-score');
    scoreBox.dataset.right = String(score.right);
    scoreBox.dataset.wrong = String(score.wrong);
    scoreBox.textContent = 'score: ' + score.right + ' right, ' + score.wrong + ' wrong';
    $('kp-feedback').textContent = feedback.join('\n');
    answered.add(frame);
    show(frame + 1);
  }

  function play() {
    if (playing) {
      stop();
      return;
    }
    $('kp-play').textContent = '\u23F8 pause';
    playing = setInterval(() => {
      if (!loaded || frame >= loaded.frames - 1) stop();
      else next();
    }, 500);
  }

  function stop() {
    if (playing) clearInterval(playing);
    playing = null;
    $('kp-play').textContent = '\u25B6 play';
  }

  function details(event) {
    if (!loaded) return;
    const box = $('kp-details');
    const nodeGroup = event.target.closest('g.node');
    const edgeGroup = event.target.closest('g.edge');
    const lines = [];
    if (nodeGroup && nodeGroup.dataset.node !== undefined) {
      const n = call('node', frame, Number(nodeGroup.dataset.node));
      lines.push(n.expression + '   (' + n.kind + ')');
      lines.push('value: ' + (n.data === null ? 'not computed yet' : n.data));
      lines.push('grad: ' + (n.grad === null ? 'not reached yet' : n.grad));
      for (const input of n.inputs) {
        lines.push('d ' + n.name + '/d ' + input.name + ' = ' + input.formula + ' = ' + input.local_derivative);
      }
      for (const flag of n.flags) lines.push('\u26A0 ' + flag);
      box.dataset.node = n.name;
    } else if (edgeGroup && edgeGroup.dataset.edge !== undefined) {
      const e = call('edge', frame, Number(edgeGroup.dataset.edge));
      lines.push(e.from + ' \u2192 ' + e.to);
      lines.push('local derivative d ' + e.to + '/d ' + e.from + ' = ' + e.formula + ' = ' + e.local_derivative);
      lines.push(e.contribution === null
          ? 'it has carried nothing yet (' + e.to + "'s step has not run)"
          : 'it added ' + e.local_derivative + ' * ' + e.upstream + ' = ' + e.contribution + ' to ' + e.from + '.grad');
      delete box.dataset.node;
    } else {
      return;
    }
    box.replaceChildren(Object.assign(document.createElement('pre'), {textContent: lines.join('\n')}));
  }

  function gradcheck() {
    if (!loaded) return;
    const leaf = $('kp-gradcheck-leaf').value;
    const box = $('kp-gradcheck-result');
    try {
      const r = call('gradcheck', leaf);
      box.dataset.relativeError = r.relative_error;
      box.textContent = leaf + ': backward ' + r.analytic + ', central difference ' + r.numeric +
                        ', relative error ' + Number(r.relative_error).toExponential(2);
    } catch (e) {
      box.textContent = String(e.message);
    }
  }

  function onKey(event) {
    const tag = event.target.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    const actions = {
      ArrowRight: next, ArrowLeft: () => show(frame - 1), Home: () => show(0),
      End: () => show(loaded ? loaded.frames - 1 : 0), ' ': play,
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  function applyLesson(id) {
    const lesson = lessons.find((l) => l.id === id);
    if (!lesson) return;
    $('kp-expr').value = lesson.program;
    $('kp-vars').value = lesson.variables.map(([n, v]) => n + '=' + v).join(' ');
    $('kp-order').value = String(lesson.order);
    $('kp-wrt').value = lesson.wrt;
    $('kp-about').textContent = lesson.about;
  }

  async function fromFragment() {
    const state = readFragment();
    if (state.lesson) {
      $('kp-lesson').value = state.lesson;
      applyLesson(state.lesson);
    }
    if (state.expr !== null) {
      $('kp-expr').value = state.expr;
      if (state.variables.length > 0 || !state.lesson)
        $('kp-vars').value = state.variables.map(([n, v]) => n + '=' + v).join(' ');
      $('kp-order').value = String(state.order);
      $('kp-wrt').value = state.wrt;
    }
    $('kp-predict').checked = state.predict;
    if (!$('kp-expr').value) {
      $('kp-lesson').value = 'neuron';
      applyLesson('neuron');
    }
    if (!(await build())) return;
    const step = state.step === 'end' ? loaded.frames - 1 : Number(state.step || 0);
    show(Number.isFinite(step) ? step : 0);
  }

  async function start() {
    try {
      [kindling, viz] = await Promise.all([createKindling(), Viz.instance()]);
    } catch (e) {
      showError('the playground could not start: ' + e);
      return;
    }
    lessons = JSON.parse(kindling.lessons());
    for (const lesson of lessons) $('kp-lesson').append(new Option(lesson.title, lesson.id));
    $('kp-lesson').addEventListener('change', async (event) => {
      if (!event.target.value) return;
      applyLesson(event.target.value);
      if (await build()) show(0);
    });
    $('kp-program').addEventListener('submit', async (event) => {
      event.preventDefault();
      $('kp-lesson').value = '';
      $('kp-about').textContent = '';
      if (await build()) show(0);
    });
    $('kp-first').addEventListener('click', () => show(0));
    $('kp-prev').addEventListener('click', () => show(frame - 1));
    $('kp-next').addEventListener('click', next);
    $('kp-last').addEventListener('click', () => show(loaded ? loaded.frames - 1 : 0));
    $('kp-play').addEventListener('click', play);
    $('kp-zoom').addEventListener('click', () => {
      const graph = $('kp-graph');
      graph.classList.toggle('actual-size');
      $('kp-zoom').textContent = graph.classList.contains('actual-size') ? 'fit' : 'actual size';
    });
    $('kp-questions').addEventListener('submit', answer);
    $('kp-graph').addEventListener('click', details);
    $('kp-gradcheck').addEventListener('click', gradcheck);
    $('kp-predict').addEventListener('change', writeFragment);
    document.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', () => {
      // Only links typed or pasted by hand: the page's own writes use replaceState.
      fromFragment();
    });
    await fromFragment();
  }

  start();
})();
