"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const annotator = params.get("annotator") || "";
  const q = annotator ? "?annotator=" + encodeURIComponent(annotator) : "";
  const UNSURE = "\u0000unsure";
  const COLOURS = 7;
  let state = null;      // the last answer of the server
  let answers = {};      // question -> label | UNSURE
  let focus = 0;
  let busy = false;

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const pct = (p) => Math.round(p * 100) + "%";

  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.classList.add("show");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => t.classList.remove("show"), 1400);
  }

  function banner(text, note) {
    const b = $("banner");
    if (!text) { b.hidden = true; return; }
    b.hidden = false;
    b.className = note ? "banner note" : "banner";
    b.textContent = text;
  }

  async function call(method, path, body) {
    const res = await fetch(path + q, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = { error: "the server sent no JSON (" + res.status + ")" }; }
    if (!res.ok) throw new Error(data && data.error ? data.error : "HTTP " + res.status);
    return data;
  }

  function rows() { return state && state.item ? state.item.rows : []; }

  function colour(i) { return "c" + (i % COLOURS); }

  function renderDoc() {
    const doc = $("doc");
    doc.textContent = "";
    const item = state.item;
    if (!item) {
      const d = el("div", "done");
      d.appendChild(el("h1", null, state.stats.review ? "No disagreements left to review" : "Nothing left to label"));
      d.appendChild(el("p", null, state.stats.labeled + " articles labeled; every decision is saved. You can close this page."));
      doc.appendChild(d);
      return;
    }
    const meta = el("div", "meta");
    if (item.source) meta.appendChild(el("span", null, item.source));
    if (item.date) meta.appendChild(el("span", null, item.date));
    meta.appendChild(el("span", "id", item.id));
    if (item.review) meta.appendChild(el("span", "badge", "review"));
    doc.appendChild(meta);
    doc.appendChild(el("h1", null, item.title || "(no title)"));
    const text = el("div", "text");
    text.id = "text";
    const focused = rows()[focus];
    for (const s of item.segments) {
      if (s.a === undefined || s.a === null) {
        text.appendChild(document.createTextNode(s.t));
      } else {
        const m = el("mark", "m " + colour(s.a), s.t);
        m.dataset.row = s.a;
        m.title = item.rows[s.a].question;
        if (focused && focused.kind === "stance" && s.a === focus) m.classList.add("focus");
        text.appendChild(m);
      }
    }
    doc.appendChild(text);
  }

  function highlight() {
    for (const m of document.querySelectorAll("mark.m")) {
      m.classList.toggle("focus", Number(m.dataset.row) === focus && rows()[focus] && rows()[focus].kind === "stance");
    }
  }

  function renderQuestions() {
    const box = $("questions");
    box.textContent = "";
    rows().forEach((r, i) => {
      const card = el("div", "q " + (r.kind === "stance" ? colour(i) : "sent") + (i === focus ? " focused" : ""));
      card.dataset.row = i;
      card.addEventListener("click", () => { focus = i; renderQuestions(); highlight(); });
      const head = el("div", "q-head");
      head.appendChild(el("span", "q-name", r.kind === "stance" ? r.question : "Sentiment"));
      head.appendChild(el("span", "q-sub", r.kind === "stance"
        ? "stance · " + r.mentions + (r.mentions === 1 ? " mention" : " mentions")
        : "the article's tone"));
      const a = answers[r.question];
      const st = el("span", "q-state" + (a === UNSURE ? " unsure" : a ? " set" : ""),
        a === UNSURE ? "unsure" : a ? "✓ " + a : "to do");
      head.appendChild(st);
      card.appendChild(head);
      if (r.guess) {
        const g = el("div", "q-guess");
        g.appendChild(document.createTextNode("model: "));
        g.appendChild(el("b", null, r.guess.label));
        g.appendChild(document.createTextNode(" (" + pct(r.guess.p) + ")"));
        card.appendChild(g);
      } else if (state.stats.model) {
        card.appendChild(el("div", "q-guess", "no guess for this actor"));
      }
      if (r.prior) {
        const pr = el("div", "q-prior");
        const vals = Object.values(r.prior);
        for (const [who, l] of Object.entries(r.prior)) {
          pr.appendChild(el("span", vals.some((v) => v !== l) ? "differ" : "", who + ": " + l));
        }
        card.appendChild(pr);
      }
      const opts = el("div", "opts");
      r.labels.forEach((l, j) => {
        const b = el("button", "opt");
        b.type = "button";
        b.appendChild(el("span", "name", l));
        const low = el("span", "low");
        const k = el("span", "keys");
        k.appendChild(el("kbd", null, String(j + 1)));
        if (r.keys[j]) k.appendChild(el("kbd", null, r.keys[j]));
        low.appendChild(k);
        const p = r.guess && r.guess.probabilities ? r.guess.probabilities[l] : undefined;
        low.appendChild(el("span", "p", p === undefined ? "" : pct(p)));
        b.appendChild(low);
        if (p !== undefined) {
          const bar = el("span", "pbar");
          bar.style.width = (p * 100).toFixed(1) + "%";
          b.appendChild(bar);
          if (r.guess.label === l) b.classList.add("guess");
        }
        if (answers[r.question] === l) b.classList.add("chosen");
        b.addEventListener("click", (e) => { e.stopPropagation(); focus = i; choose(l); });
        opts.appendChild(b);
      });
      const u = el("button", "opt unsure" + (answers[r.question] === UNSURE ? " chosen" : ""));
      u.type = "button";
      u.appendChild(el("span", "name", "unsure"));
      const ul = el("span", "low");
      const uk = el("span", "keys");
      uk.appendChild(el("kbd", null, "?"));
      ul.appendChild(uk);
      u.appendChild(ul);
      u.title = "unsure: leave this question open";
      u.addEventListener("click", (e) => { e.stopPropagation(); focus = i; choose(UNSURE); });
      opts.appendChild(u);
      card.appendChild(opts);
      box.appendChild(card);
    });
    const f = box.querySelector(".q.focused");
    if (f && f.scrollIntoView) f.scrollIntoView({ block: "nearest" });
    const has = !!(state && state.item);
    $("save").disabled = !has || busy;
    $("skip").disabled = !has || busy;
  }

  function spark(history) {
    const pts = history.filter((h) => h.round > 0 || h.f1 !== null);
    if (pts.length < 2) return null;
    const w = 380, h = 60, pad = 4;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    const maxL = Math.max(...pts.map((p) => p.labels)), minL = Math.min(...pts.map((p) => p.labels));
    const x = (l) => pad + (maxL === minL ? 0 : (l - minL) / (maxL - minL)) * (w - 2 * pad);
    const y = (v) => h - pad - v * (h - 2 * pad);
    const grid = document.createElementNS(ns, "line");
    grid.setAttribute("x1", pad); grid.setAttribute("x2", w - pad);
    grid.setAttribute("y1", y(0.5)); grid.setAttribute("y2", y(0.5));
    grid.setAttribute("stroke", "#e3e7ec");
    svg.appendChild(grid);
    for (const [key, col] of [["f1", "#0b5cad"], ["changed", "#d55e00"]]) {
      const s = pts.filter((p) => p[key] !== null && p[key] !== undefined);
      if (s.length < 1) continue;
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", s.map((p) => x(p.labels).toFixed(1) + "," + y(p[key]).toFixed(1)).join(" "));
      line.setAttribute("fill", "none");
      line.setAttribute("stroke", col);
      line.setAttribute("stroke-width", "2");
      svg.appendChild(line);
    }
    return svg;
  }

  function renderStats() {
    const s = state.stats;
    $("who").textContent = "";
    $("who").appendChild(document.createTextNode("annotator "));
    $("who").appendChild(el("b", null, s.annotator));
    $("stage").textContent = s.stage;
    const f = $("figures");
    f.textContent = "";
    const fig = (label, value) => {
      const d = el("span", null);
      d.appendChild(el("b", null, value));
      d.appendChild(document.createTextNode(" " + label));
      f.appendChild(d);
    };
    fig("labeled", String(s.labeled));
    fig("by you", String(s.mine));
    fig("audit", String(s.audit));
    fig("left", String(s.remaining));
    if (s.audit_f1) fig("audit macro-F1", s.audit_f1.f1.toFixed(2));
    if (s.changed !== null && s.changed !== undefined) fig("changed", pct(s.changed));
    if (s.training) f.appendChild(el("span", "training", "retraining…"));

    const m = $("model");
    m.textContent = "";
    m.appendChild(el("h2", null, "Model"));
    if (!s.model) {
      m.appendChild(el("div", null, "No model yet: the first is trained when every stance label has " +
        s.min_per_label + " examples."));
    } else {
      const row = el("div", "row");
      const f1 = el("div", null);
      f1.appendChild(el("div", "big", s.audit_f1 ? s.audit_f1.f1.toFixed(2) : "–"));
      f1.appendChild(el("div", null, s.audit_f1
        ? "macro-F1 on " + s.audit_f1.n + " audit labels (95%: " + s.audit_f1.lo.toFixed(2) + "–" + s.audit_f1.hi.toFixed(2) + ")"
        : "macro-F1 on audit labels: too few yet"));
      row.appendChild(f1);
      const ch = el("div", null);
      ch.appendChild(el("div", "big", s.changed === null || s.changed === undefined ? "–" : pct(s.changed)));
      ch.appendChild(el("div", null, "predictions changed by the last retraining"));
      row.appendChild(ch);
      m.appendChild(row);
      m.appendChild(el("div", null, "model " + s.model + (s.model_labels !== null && s.model_labels !== undefined
        ? " · trained on " + s.model_labels + " labeled articles · retrains every " + s.retrain_every : "")));
      const sv = spark(s.history);
      if (sv) {
        m.appendChild(sv);
        const lg = el("div", "legend");
        const a = el("span", null); const ai = el("i"); ai.style.background = "#0b5cad"; a.appendChild(ai); a.appendChild(document.createTextNode("audit macro-F1"));
        const b = el("span", null); const bi = el("i"); bi.style.background = "#d55e00"; b.appendChild(bi); b.appendChild(document.createTextNode("changed"));
        lg.appendChild(a); lg.appendChild(b);
        lg.appendChild(el("span", null, "by labeled articles"));
        m.appendChild(lg);
      }
    }
    const counts = el("div", "counts");
    for (const [l, n] of Object.entries(s.label_counts)) {
      counts.appendChild(el("span", n < s.min_per_label ? "low" : "", l + " " + n));
    }
    if (Object.keys(s.label_counts).length) m.appendChild(counts);
    if (s.last_error) banner(s.last_error, true);
  }

  function render(fresh) {
    if (fresh) {
      answers = {};
      focus = 0;
      if (state.item) {
        // In review, questions the annotators agree on start answered.
        for (const r of state.item.rows) {
          if (r.prior) {
            const v = Object.values(r.prior).filter((x) => x !== "unsure");
            if (v.length && v.every((x) => x === v[0])) answers[r.question] = v[0];
          }
        }
        const first = state.item.rows.findIndex((r) => !answers[r.question]);
        focus = first < 0 ? 0 : first;
      }
      renderDoc();
    }
    renderQuestions();
    renderStats();
  }

  function accept(data) {
    const fresh = !state || !data.item || !state.item || data.item.token !== state.item.token;
    state = data;
    render(fresh);
  }

  async function load() {
    try {
      accept(await call("GET", "/api/state"));
      if ($("banner").className === "banner") banner(null);
    } catch (e) {
      banner("Cannot reach the labeling server: " + e.message);
    }
  }

  function nextOpen(from) {
    const rs = rows();
    for (let k = 1; k <= rs.length; k++) {
      const i = (from + k) % rs.length;
      if (!answers[rs[i].question]) return i;
    }
    return -1;
  }

  function choose(label) {
    const r = rows()[focus];
    if (!r) return;
    answers[r.question] = label;
    const n = nextOpen(focus);
    if (n >= 0) focus = n;
    renderQuestions();
    highlight();
  }

  function flash(i) {
    const card = document.querySelector('.q[data-row="' + i + '"]');
    if (card) { card.classList.remove("shake"); void card.offsetWidth; card.classList.add("shake"); }
  }

  async function submit(skip) {
    if (busy || !state || !state.item) return;
    const item = state.item;
    const body = { token: item.token, skip: !!skip, stance: {}, sentiment: null, unsure: [] };
    if (!skip) {
      for (const r of item.rows) {
        if (!answers[r.question] && r.guess) answers[r.question] = r.guess.label;
      }
      const missing = item.rows.findIndex((r) => !answers[r.question]);
      if (missing >= 0) {
        focus = missing;
        renderQuestions();
        highlight();
        flash(missing);
        toast("No guess for " + item.rows[missing].question + ": label it, or ? for unsure");
        return;
      }
      for (const r of item.rows) {
        const a = answers[r.question];
        if (a === UNSURE) body.unsure.push(r.question);
        else if (r.kind === "sentiment") body.sentiment = a;
        else body.stance[r.question] = a;
      }
    }
    busy = true;
    renderQuestions();
    try {
      const data = await call("POST", "/api/decide", body);
      toast((skip ? "Skipped" : "Saved") + " · decision " + data.saved);
      banner(null);
      busy = false;
      accept(data);
    } catch (e) {
      busy = false;
      banner(e.message);
      renderQuestions();
    }
  }

  async function undo() {
    if (busy) return;
    busy = true;
    try {
      const data = await call("POST", "/api/undo");
      toast(data.undone ? "Undid decision " + data.undone : "Nothing to undo");
      busy = false;
      state = null;
      accept(data);
    } catch (e) {
      busy = false;
      banner(e.message);
    }
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
    const rs = rows();
    const r = rs[focus];
    const k = e.key;
    if (k === "Enter") { e.preventDefault(); submit(false); return; }
    if (k === "u" || k === "U") { e.preventDefault(); undo(); return; }
    if (k === "s" || k === "S") { e.preventDefault(); submit(true); return; }
    if (!r) return;
    if (k === "?") { e.preventDefault(); choose(UNSURE); return; }
    if (k === "ArrowDown" || (k === "Tab" && !e.shiftKey)) {
      e.preventDefault(); focus = (focus + 1) % rs.length; renderQuestions(); highlight(); return;
    }
    if (k === "ArrowUp" || (k === "Tab" && e.shiftKey)) {
      e.preventDefault(); focus = (focus + rs.length - 1) % rs.length; renderQuestions(); highlight(); return;
    }
    if (k === "Backspace" || k === "Delete") {
      e.preventDefault(); delete answers[r.question]; renderQuestions(); return;
    }
    if (/^[1-9]$/.test(k)) {
      const j = Number(k) - 1;
      if (j < r.labels.length) { e.preventDefault(); choose(r.labels[j]); }
      return;
    }
    const j = r.keys.indexOf(k.toLowerCase());
    if (j >= 0) { e.preventDefault(); choose(r.labels[j]); }
  });

  $("save").addEventListener("click", () => submit(false));
  $("skip").addEventListener("click", () => submit(true));
  $("undo").addEventListener("click", () => undo());
  load();
  setInterval(() => { if (!busy) load(); }, 3000);
})();
