// The backward-pass player of viz.frame_player (an anywidget): play/pause, a step slider,
// the arrow keys and zoom buttons over the frames, in a box of the output's width that
// pans. At every step the current node (its box comes from Python, in the SVG's units)
// is scrolled into view if any of it is outside the box.

function button(text, title, onclick) {
  const b = document.createElement("button");
  b.textContent = text;
  b.title = title;
  b.onclick = onclick;
  return b;
}

function render({ model, el }) {
  const frames = model.get("frames");
  const boxes = model.get("boxes");
  const [naturalWidth, naturalHeight] = model.get("natural_size");
  let zoom = model.get("zoom");
  let timer = null;

  el.classList.add("autograd-lite-player");
  el.tabIndex = 0;
  const bar = document.createElement("div");
  bar.style.cssText = "display:flex;gap:6px;align-items:center;margin:0 0 4px 0";
  const play = button("▶ play", "play the backward pass", () => (timer ? stop() : start()));
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = 0;
  slider.max = frames.length - 1;
  slider.style.flex = "1";
  slider.oninput = () => show(Number(slider.value));
  const readout = document.createElement("span");
  readout.className = "autograd-lite-step";
  readout.style.cssText = "font-variant-numeric:tabular-nums;min-width:7em";
  bar.append(
    play, slider, readout,
    button("−", "zoom out", () => setZoom(zoom / 1.25)),
    button("+", "zoom in", () => setZoom(zoom * 1.25)),
    button("fit", "the whole frame", () => setZoom(0)),
  );
  const caption = document.createElement("p");
  caption.textContent = model.get("caption");
  caption.style.margin = "0 0 4px 0";
  const view = document.createElement("div");
  view.className = "autograd-lite-view";
  view.style.cssText = "max-width:100%;overflow:auto;border:1px solid #d4d4d4";
  const picture = document.createElement("div");
  view.appendChild(picture);
  el.append(bar, ...(caption.textContent ? [caption] : []), view);

  function setZoom(next) {
    zoom = Math.min(4, Math.max(view.clientWidth / (naturalWidth * 4 / 3), next));
    layout();
    reveal(true);
  }

  function layout() {
    const svg = picture.querySelector("svg");
    const width = naturalWidth * 4 / 3 * zoom, height = naturalHeight * 4 / 3 * zoom;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    view.style.height = Math.min(height, model.get("view_height")) + 2 + "px";
  }

  // Scroll the current node into view: centred, when any of it is outside the box.
  function reveal(always) {
    const [left, top, right, bottom] = boxes[model.get("step")];
    const k = 4 / 3 * zoom;
    const inside = left * k >= view.scrollLeft && right * k <= view.scrollLeft + view.clientWidth
      && top * k >= view.scrollTop && bottom * k <= view.scrollTop + view.clientHeight;
    if (always || !inside) {
      view.scrollLeft = (left + right) / 2 * k - view.clientWidth / 2;
      view.scrollTop = (top + bottom) / 2 * k - view.clientHeight / 2;
    }
  }

  function draw() {
    const step = model.get("step");
    picture.innerHTML = frames[step];
    slider.value = step;
    readout.textContent = `step ${step + 1} of ${frames.length}`;
    layout();
    reveal(false);
  }

  function show(step) {
    model.set("step", Math.max(0, Math.min(frames.length - 1, step)));
    model.save_changes();
  }

  function start() {
    if (model.get("step") === frames.length - 1) show(0);
    play.textContent = "❚❚ pause";
    timer = setInterval(() => {
      if (model.get("step") >= frames.length - 1) return stop();
      show(model.get("step") + 1);
    }, model.get("interval_ms"));
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "▶ play";
  }

  el.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1 };
    if (event.key in moves) {
      show(model.get("step") + moves[event.key]);
      event.preventDefault();
    }
  });
  model.on("change:step", draw);
  draw();
  requestAnimationFrame(() => reveal(true));
  return () => stop();
}

export default { render };
