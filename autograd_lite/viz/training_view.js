// The training view of viz.TrainingView: the loss curve, the data (decision boundary or
// fitted curve) and the network, drawn as one SVG. Python lays everything out and decides
// every colour (training_view_scene.py); this only draws what it is given. The SVG is
// built once; each new state changes its numbers, paths and colours in place, so nothing
// flickers while training runs.
//
// Two uses: the anywidget in a notebook (render), which redraws when fit sends a new
// `state`, and the replay page of fit(..., record="run.html"), which has every recorded
// epoch as `frames` and a slider over them (replayModel gives it the widget's interface).
// Both get `scene`, what stays (Scene.layout() in Python); a state is Scene.frame().

const SVG = "http://www.w3.org/2000/svg";

function make(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function label(parent, x, y, text, attrs) {
  const t = make("text", { x, y, "font-size": 11, fill: "#333", ...attrs }, parent);
  t.textContent = text;
  return t;
}

// A frame's arrays come as text, "x y x y …" (numbers_text in Python).
function numbers(text) {
  return text ? text.split(" ").map(Number) : [];
}

// The path through points x₀ y₀ x₁ y₁ … (a flat list).
function polyline(xy) {
  let d = "";
  for (let i = 0; i + 1 < xy.length; i += 2) d += (i ? " L" : "M") + xy[i] + " " + xy[i + 1];
  return d;
}

function box(parent, [left, top, right, bottom]) {
  make("rect", { x: left, y: top, width: right - left, height: bottom - top, fill: "none",
                 stroke: "#c8c8c8" }, parent);
}

function ticks(group, [left, top, right, bottom], curve) {
  group.replaceChildren();
  for (const [y, text] of curve.yticks || []) {
    if (y < top - 0.5 || y > bottom + 0.5) continue;
    make("line", { x1: left - 4, x2: left, y1: y, y2: y, stroke: "#888" }, group);
    label(group, left - 6, y + 4, text, { "text-anchor": "end" });
  }
  for (const [x, text] of curve.xticks || []) {
    if (x < left - 0.5 || x > right + 0.5) continue;
    make("line", { x1: x, x2: x, y1: bottom, y2: bottom + 4, stroke: "#888" }, group);
    label(group, x, bottom + 16, text, { "text-anchor": "middle" });
  }
}

// The loss panel: its axes, the curve (in a replay: the whole run faint, the part up to
// the epoch shown solid) and a dot at the epoch.
function lossPanel(svg, layout) {
  const b = layout.loss_box;
  label(svg, b[0], 20, layout.loss_title, { "font-size": 13, "font-weight": "bold" });
  box(svg, b);
  const axis = make("g", {}, svg);
  const whole = make("path", { fill: "none", stroke: "#93c5fd", "stroke-width": 1.5 }, svg);
  const part = make("path", { fill: "none", stroke: "#1d4ed8", "stroke-width": 2 }, svg);
  const dot = make("circle", { r: 4, fill: "#ea580c" }, svg);
  label(svg, (b[0] + b[2]) / 2, b[3] + 32, "epoch", { "text-anchor": "middle" });
  let shown = null, points = [];
  return (frame) => {
    const curve = frame.curve || layout.loss;
    if (curve !== shown) {
      ticks(axis, b, curve);
      points = numbers(curve.points);
      whole.setAttribute("d", frame.curve ? "" : polyline(points));
      shown = curve;
    }
    const upto = frame.curve ? points.length / 2 : frame.upto;
    part.setAttribute("d", polyline(points.slice(0, 2 * upto)));
    dot.setAttribute("visibility", frame.marker ? "visible" : "hidden");
    if (frame.marker) {
      dot.setAttribute("cx", frame.marker[0]);
      dot.setAttribute("cy", frame.marker[1]);
    }
  };
}

// The data panel: a shading of the plane (its bytes coloured by the palette) and the
// decision boundary, or the data and the fitted curve.
function dataPanel(svg, layout, id) {
  const d = layout.data, b = layout.data_box;
  if (!d) {
    label(svg, b[0], (b[1] + b[3]) / 2, layout.note, { fill: "#555" });
    return () => {};
  }
  label(svg, b[0], 20, d.title, { "font-size": 13, "font-weight": "bold" });
  const clip = make("clipPath", { id: id + "-clip" }, make("defs", {}, svg));
  make("rect", { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1] }, clip);
  const inside = make("g", { "clip-path": `url(#${id}-clip)` }, svg);
  const image = d.kind === "plane" ? make("image", { x: b[0], y: b[1], width: b[2] - b[0],
    height: b[3] - b[1], preserveAspectRatio: "none" }, inside) : null;
  const line = make("path", { fill: "none", stroke: d.kind === "plane" ? "#000" : "#dc2626",
                              "stroke-width": 2 }, d.kind === "plane" ? null : inside);
  for (const [x, y, colour] of d.points) {
    make("circle", { cx: x, cy: y, r: d.kind === "plane" ? 3.5 : 3, fill: colour || "#000",
                     stroke: "#fff", "stroke-width": 0.8 }, inside);
  }
  if (d.kind === "plane") inside.appendChild(line);  // the boundary above the points' fill
  box(svg, b);
  ticks(make("g", {}, svg), b, d);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = d.grid || 1;
  return (frame) => {
    const f = frame.data;
    if (!f) return;
    if (image) {
      const bytes = atob(f.shade), context = canvas.getContext("2d");
      const pixels = context.createImageData(d.grid, d.grid);
      for (let i = 0; i < bytes.length; i++) {
        const [r, g, bl] = d.palette[bytes.charCodeAt(i)];
        pixels.data.set([r, g, bl, 255], 4 * i);
      }
      context.putImageData(pixels, 0, 0);
      image.setAttribute("href", canvas.toDataURL());
      const s = numbers(f.boundary);
      let path = "";
      for (let i = 0; i + 3 < s.length; i += 4) path += `M${s[i]} ${s[i + 1]} L${s[i + 2]} ${s[i + 3]} `;
      line.setAttribute("d", path);
    } else {
      line.setAttribute("d", polyline(numbers(f.fit)));
    }
  };
}

// The network: edges and units laid out once; each state sets their colours and widths.
function networkPanel(svg, layout) {
  const n = layout.network;
  if (!n) return () => {};
  const b = layout.network_box;
  label(svg, b[0], 20, "the network", { "font-size": 13, "font-weight": "bold" });
  const edges = n.edges.map(([from, to]) => make("line", { x1: n.nodes[from][0],
    y1: n.nodes[from][1], x2: n.nodes[to][0], y2: n.nodes[to][1] }, svg));
  const units = new Set(n.units);
  const circles = n.nodes.map(([x, y], i) => make("circle", { cx: x, cy: y, r: n.radius,
    fill: units.has(i) ? n.fill : n.input_fill, stroke: n.stroke, "stroke-width": 1 }, svg));
  for (const [x, name, kind] of n.titles) {
    label(svg, x, b[1] - 14, name, { "text-anchor": "middle" });
    label(svg, x, b[1] - 2, kind, { "text-anchor": "middle", fill: "#555" });
  }
  for (const [x, y, text] of n.more) label(svg, x + 10, y + 4, text, { fill: "#555" });
  n.legend.forEach((text, i) => label(svg, b[0], b[3] + 28 + 14 * i, text, { fill: "#555" }));
  return (frame) => {
    const f = frame.network;
    if (!f) return;
    const widths = numbers(f.widths);
    edges.forEach((edge, i) => {
      edge.setAttribute("stroke", n.edge_colours[f.colours[i]]);
      edge.setAttribute("stroke-width", widths[i]);
      edge.setAttribute("stroke-dasharray", f.dashed[i] === "1" ? "4 3" : "none");
    });
    n.units.forEach((node, i) => {
      const dead = f.dead[i] === "1";
      circles[node].setAttribute("fill", dead ? n.dead_fill : n.fill);
      circles[node].setAttribute("stroke", dead ? n.dead_stroke : n.stroke);
      circles[node].setAttribute("stroke-dasharray", dead ? "3 2" : "none");
    });
  };
}

let views = 0;

// The view in `root`: a caption line above the SVG; returns draw(frame).
function view(root, layout) {
  root.classList.add("autograd-lite-training-view");
  const caption = document.createElement("div");
  caption.className = "autograd-lite-caption";
  caption.style.cssText = "font:13px sans-serif;margin:0 0 4px 0;font-variant-numeric:tabular-nums";
  const svg = make("svg", { viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: "100%", "font-family": "Helvetica, Arial, sans-serif" });
  svg.style.cssText = `max-width:${layout.width}px;display:block;background:#fff`;
  root.append(caption, svg);
  const parts = [lossPanel(svg, layout), dataPanel(svg, layout, `autograd-lite-tv${++views}`),
                 networkPanel(svg, layout)];
  return (frame) => {
    caption.textContent = frame.caption;
    caption.dataset.epoch = frame.epoch;
    caption.dataset.loss = frame.loss === null ? "" : String(frame.loss);
    for (const draw of parts) draw(frame);
  };
}

function render({ model, el }) {
  const draw = view(el, model.get("scene"));
  const frames = model.get("frames") || [];
  if (!frames.length) {
    const redraw = () => draw(model.get("state"));
    redraw();
    model.on("change:state", redraw);
    return () => model.off("change:state", redraw);  // when this view goes (a re-render)
  }
  const bar = document.createElement("div");
  bar.style.cssText = "display:flex;gap:8px;align-items:center;margin:0 0 4px 0;font:13px sans-serif";
  const slider = document.createElement("input");
  slider.type = "range";
  slider.className = "autograd-lite-epoch";
  slider.min = 0;
  slider.max = frames.length - 1;
  slider.value = frames.length - 1;
  slider.style.flex = "1";
  slider.setAttribute("aria-label", "epoch");
  slider.oninput = () => draw(frames[Number(slider.value)]);
  const name = document.createElement("span");
  name.textContent = "epoch";
  bar.append(name, slider);
  el.prepend(bar);
  draw(frames[frames.length - 1]);
}

// The widget interface (get, on, off) over a replay's data, for the page.
export function replayModel(data) {
  return { get: (name) => data[name], on: () => {}, off: () => {} };
}

export default { render };
