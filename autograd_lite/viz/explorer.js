// The explorer page's controls (viz/explorer.py). The math is not here: `evaluate`, above
// this file in the page, is generated from the engine's rules (compiler/jscode.py).
(function () {
  "use strict";
  const N = MODEL.names.length, ROOT = N - 1, SVGNS = "http://www.w3.org/2000/svg";
  const L = new Array(N).fill(0.0);
  MODEL.leaves.forEach((k) => { L[k] = MODEL.data[k]; });
  let result = null, step = null, selected = null, timer = null;

  // where each node is an input, in the order backward sends it gradient (frames.py's)
  const uses = Array.from({ length: N }, () => []);
  for (let c = N - 1; c >= 0; c--) {
    MODEL.inputs[c].forEach((x, i) => { if (x !== null) uses[x].push([c, i]); });
  }

  function g4(x) {  // style.number: 4 significant digits, as Python's "{:.4g}"
    if (x === 0) return "0";
    if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    const [m, e] = x.toExponential(3).split("e");
    const n = parseInt(e, 10);
    const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    if (n < -4 || n >= 4) return strip(m) + "e" + (n < 0 ? "-" : "+") + String(Math.abs(n)).padStart(2, "0");
    return strip(x.toPrecision(4));
  }

  // the drawn pieces of each node, found by their dot names (v3, v3_op) and edge ids
  const values = {}, ops = {};
  document.querySelectorAll("#al-graph g.node").forEach((group) => {
    const title = group.querySelector("title").textContent;
    const match = /^v(\d+)(_op)?$/.exec(title);
    if (!match) return;
    const k = Number(match[1]);
    const texts = Array.from(group.querySelectorAll("text"));
    if (match[2]) {
      ops[k] = { group, gate: texts.find((t) => t.textContent.startsWith("gate ")),
                 shape: group.querySelector("ellipse, polygon, path") };
    } else {
      values[k] = { group, data: texts.find((t) => t.textContent.startsWith("data ")),
                    grad: texts.find((t) => t.textContent.startsWith("grad ")) };
      group.addEventListener("click", () => { selected = k; explain(k); outline(k, MODEL.colours.current); });
    }
  });
  const edges = {};
  for (let k = 0; k < N; k++) {
    MODEL.inputs[k].forEach((x, i) => {
      const group = document.getElementById(`e${k}_${i}`);
      const text = group && group.querySelector("text");
      if (text) {
        const rest = text.textContent.split(" ").slice(1).join(" ");
        edges[`${k}_${i}`] = { text, rest: rest ? " " + rest : "" };
      }
    });
  }

  function outline(k, colour) {
    document.querySelectorAll("#al-graph .al-outline").forEach((r) => r.remove());
    if (k === null || !values[k]) return;
    const box = values[k].group.getBBox();
    const rect = document.createElementNS(SVGNS, "rect");
    rect.setAttribute("class", "al-outline");
    for (const [a, v] of [["x", box.x - 3], ["y", box.y - 3], ["width", box.width + 6],
                          ["height", box.height + 6]]) rect.setAttribute(a, v);
    rect.setAttribute("fill", "none");
    rect.setAttribute("stroke", colour);
    rect.setAttribute("stroke-width", "3");
    values[k].group.appendChild(rect);
  }

  function explain(k) {
    const box = document.getElementById("al-explain");
    if (!result || result.error) return;
    const top = MODEL.names[ROOT], name = (j) => MODEL.names[j];
    if (k === ROOT) { box.textContent = `∂${top}/∂${top} = 1: where backward starts`; return; }
    const symbols = [], numbers = [];
    for (const [c, i] of uses[k]) {
      const local = MODEL.ops[c] === "relu" ? `1[${name(k)}>0]` : `∂${name(c)}/∂${name(k)}`;
      symbols.push(`∂${top}/∂${name(c)} · ${local}`);
      numbers.push(`${g4(result.g[c])} · ${g4(result.lg[c][i])}`);
    }
    const sum = uses[k].length > 1 ? `Σ over its ${uses[k].length} uses: ` : "";
    box.textContent = `∂${top}/∂${name(k)} = ${sum}${symbols.join(" + ")}\n  = ${numbers.join(" + ")}` +
      ` = ${g4(result.g[k])}`;
  }

  function showGate(k) {
    const op = ops[k];
    if (!op || !op.gate) return;
    const local = result.lg[k][0], open = local === 1;
    write(op.gate, "gate " + g4(local));
    op.gate.setAttribute("fill", open ? MODEL.colours.open : MODEL.colours.closed);
    if (op.shape) {
      op.shape.setAttribute("stroke-dasharray", open ? "" : "5,2");
      op.shape.setAttribute("fill", open ? MODEL.colours.op_fill : MODEL.colours.closed_fill);
    }
    op.group.dataset.open = String(open);
  }

  function write(text, s) {  // only what changed: each write costs the browser a layout
    const node = text.firstChild;
    if (node.nodeValue !== s) node.nodeValue = s;
  }

  function update() {
    const got = evaluate(L);
    const error = document.getElementById("al-error");
    if (got.error !== undefined) {  // the engine's own message; the numbers stay as they were
      error.textContent = `${MODEL.names[got.at]}: ${got.error}`;
      outline(got.at, MODEL.colours.wrong);
      if (result) result.error = got.error;
      return;
    }
    error.textContent = "";
    result = got;
    for (let k = 0; k < N; k++) {
      const v = values[k];
      if (v && v.data) write(v.data, "data " + g4(got.d[k]));
      if (v && v.grad) write(v.grad, "grad " + g4(got.g[k]));
      MODEL.inputs[k].forEach((x, i) => {
        const e = edges[`${k}_${i}`];
        if (e) write(e.text, g4(got.lg[k][i]) + e.rest);
      });
    }
    MODEL.gates.forEach(showGate);
    if (step !== null) show(step); else if (selected !== null) { explain(selected); outline(selected, MODEL.colours.current); }
    else outline(null);
  }

  // backward, frame by frame: the root first, then each node after all its consumers
  const stepper = document.getElementById("al-step");
  stepper.max = String(N - 1);
  function show(s) {
    step = Math.max(0, Math.min(N - 1, s));
    stepper.value = String(step);
    const k = N - 1 - step;
    document.getElementById("al-step-text").textContent = `step ${step + 1} of ${N}: ${MODEL.names[k]}`;
    outline(k, MODEL.colours.current);
    explain(k);
    if (values[k]) values[k].group.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  stepper.addEventListener("input", () => show(Number(stepper.value)));
  document.getElementById("al-play").addEventListener("click", (event) => {
    if (timer !== null) { clearInterval(timer); timer = null; event.target.textContent = "play"; return; }
    event.target.textContent = "pause";
    if (step === null || step === N - 1) show(0);
    timer = setInterval(() => {
      if (step >= N - 1) { clearInterval(timer); timer = null; event.target.textContent = "play"; }
      else show(step + 1);
    }, 800);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT" && event.target.type === "number") return;
    if (event.key === "ArrowRight") show(step === null ? 0 : step + 1);
    else if (event.key === "ArrowLeft") show(step === null ? 0 : step - 1);
  });

  // a slider and a number box for each leaf
  const panel = document.getElementById("al-leaves");
  function set(k, v) {
    if (!Number.isFinite(v) || !controls[k]) return false;  // a leaf's, and a number
    L[k] = v;
    const [range, box] = controls[k];
    if (v < Number(range.min)) range.min = String(v);
    if (v > Number(range.max)) range.max = String(v);
    range.value = String(v);
    box.value = String(v);
    update();
    return true;
  }
  const controls = {};
  MODEL.leaves.forEach((k) => {
    const v = MODEL.data[k], span = Math.max(1, Math.abs(v));
    const label = document.createElement("label");
    label.textContent = MODEL.names[k];
    const range = document.createElement("input");
    Object.assign(range, { type: "range", min: String(v - span), max: String(v + span),
                           step: String(span / 100), value: String(v) });
    range.dataset.leaf = String(k);
    const box = document.createElement("input");
    Object.assign(box, { type: "number", value: String(v), step: "any" });
    box.dataset.leaf = String(k);
    range.addEventListener("input", () => set(k, Number(range.value)));
    box.addEventListener("change", () => set(k, Number(box.value)));
    label.htmlFor = range.id = `al-leaf-${k}`;
    panel.append(label, range, box);
    controls[k] = [range, box];
  });

  // the graph's pane takes the rest of the window below the controls, and pans
  function fit() {
    const pane = document.getElementById("al-graph");
    const top = document.getElementById("al-top").offsetHeight;
    pane.style.maxHeight = `${Math.max(240, window.innerHeight - top - 4)}px`;
  }
  window.addEventListener("resize", fit);
  fit();

  update();
  window.alExplorer = { set, show, state: () => ({ d: result.d, g: result.g, lg: result.lg,
    error: document.getElementById("al-error").textContent }), evaluate, names: MODEL.names,
    readyMs: performance.now() };  // since the page began to load: benchmarks/explorer.py
})();
