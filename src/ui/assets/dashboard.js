// The blastwall dashboard and release report. Plain browser JS with uPlot; no network access except the
// same-origin control API in live mode. All data is written with textContent, never as HTML.
(() => {
  const cfg = window.__BLASTWALL__ || {};
  const live = cfg.mode === "live";
  // The edge's page holds no token: it comes in the URL fragment (never sent to a server), is kept for this tab's
  // session, and is dropped from the address bar so that it does not land in history or screenshots.
  if (live && !cfg.token) {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromHash) {
      sessionStorage.setItem("blastwall-token", fromHash);
      history.replaceState(null, "", location.pathname + location.search);
    }
    cfg.token = fromHash || sessionStorage.getItem("blastwall-token") || undefined;
  }
  const uPlot = window.uPlot;
  const charts = new Map();
  // Tests and curious operators read the charted numbers here rather than from pixels.
  window.__blastwallDashboard = { charts, data: undefined };
  // Version styles differ by dash pattern as well as colour, so colour is never the only signal.
  const STYLES = [
    { stroke: "#58a6ff", dash: [], name: "solid" },
    { stroke: "#f0883e", dash: [8, 4], name: "dashed" },
    { stroke: "#a371f7", dash: [2, 3], name: "dotted" },
    { stroke: "#3fb950", dash: [12, 3, 2, 3], name: "dash-dot" },
  ];

  const RECENT_SECONDS = 30;
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "className") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children)
      node.append(c instanceof Node ? c : document.createTextNode(c === undefined || c === null ? "" : String(c)));
    return node;
  }
  const fmt = (n, d = 1) => (n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toFixed(d));
  const short = (id) => (id ? String(id).slice(0, 8) : "");
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "–");
  const badge = (text, kind) => el("span", { className: `badge ${kind}` }, text);

  /** `rowAttrs(i)`: attributes of the i-th row's `tr`, e.g. data attributes tests and scripts find it by. */
  function table(headers, rows, caption, rowAttrs = () => ({})) {
    const t = el("table", {});
    if (caption) t.append(el("caption", { className: "sr-only" }, caption));
    t.append(el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))));
    const body = el("tbody", {});
    for (const [i, r] of rows.entries()) body.append(el("tr", rowAttrs(i), ...r.map((c) => el("td", {}, c))));
    t.append(body);
    return t;
  }
  const note = (text) => el("p", { className: "empty" }, text);
  /** The rows as a table, or a note saying there are none. */
  const tableOr = (empty, headers, rows, caption, rowAttrs) =>
    rows.length ? table(headers, rows, caption, rowAttrs) : note(empty);

  // Sections are rebuilt only when their data changed, and a focused control keeps focus across a rebuild, so
  // keyboard users are not thrown back to the top by the poll.
  const drawn = new Map();
  function changed(id, value) {
    const key = JSON.stringify(value);
    if (drawn.get(id) === key) return false;
    drawn.set(id, key);
    return true;
  }
  function replace(id, ...nodes) {
    const host = $(id);
    if (!host) return;
    const active = document.activeElement;
    const focusKey = active && host.contains(active) ? active.getAttribute("data-focus-key") : null;
    host.replaceChildren(...nodes);
    if (focusKey) {
      const again = [...host.querySelectorAll("[data-focus-key]")].find(
        (n) => n.getAttribute("data-focus-key") === focusKey,
      );
      if (again) again.focus();
    }
  }

  async function api(method, path, body) {
    const res = await fetch(`${cfg.api}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(cfg.token ? { authorization: `Bearer ${cfg.token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  // With two versions in force, the newer one is the canary, whatever its share.
  function roleOf(worker, versionId) {
    const split = worker.current ? worker.current.versions : [];
    const entry = split.find((s) => s.versionId === versionId);
    if (!entry) return "not deployed";
    if (split.length === 1) return `stable ${entry.percentage}%`;
    const created = (id) => worker.versions.find((v) => v.id === id)?.createdAt || "";
    const newest = split.reduce((a, b) => (created(b.versionId) > created(a.versionId) ? b : a));
    return `${newest.versionId === versionId ? "canary" : "stable"} ${entry.percentage}%`;
  }

  function renderVersions(data) {
    if (!changed("versions", data.workers)) return;
    const blocks = [];
    for (const w of data.workers) {
      blocks.push(el("h3", {}, w.name));
      const rows = (w.current ? w.current.versions : []).map((s) => {
        const v = w.versions.find((x) => x.id === s.versionId) || {};
        return [
          el("span", { className: "mono", title: s.versionId }, short(s.versionId)),
          v.tag || "–",
          el(
            "div",
            { className: "bar", role: "img", "aria-label": `${s.percentage} percent of traffic` },
            el("span", { style: `width:${s.percentage}%` }),
          ),
          `${s.percentage}%`,
        ];
      });
      blocks.push(tableOr("not deployed", ["version", "tag", "share", "%"], rows, `${w.name} split`));
      if (w.current) {
        const kind = w.current.kind === "rollback" ? "ROLLBACK" : "DEPLOYMENT";
        blocks.push(
          el(
            "p",
            { className: "current-deployment", "data-worker": w.name },
            "In force: ",
            badge(kind, w.current.kind === "rollback" ? "warn" : "muted"),
            ` ${time(w.current.createdAt)}${w.current.message ? ` · ${w.current.message}` : ""}`,
          ),
        );
      }
      blocks.push(el("p", { className: "meta" }, `${w.versions.length} versions uploaded`));
    }
    replace("versions-body", ...(blocks.length ? blocks : [note("no workers")]));
  }

  function alignedSeries(list, field) {
    const ts = [...new Set(list.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
    const ys = list.map((s) => {
      const m = new Map(s.points.map((p) => [p.t, p[field]]));
      return ts.map((t) => (m.has(t) ? m.get(t) : null));
    });
    return [ts, ...ys];
  }

  function chart(id, title, unit, seriesDefs, aligned, opts) {
    const host = $(id);
    if (!host || !uPlot) return;
    const width = Math.max(320, host.clientWidth || 460);
    const key = `${id}:${seriesDefs.map((s) => s.label).join("|")}`;
    const existing = charts.get(id);
    if (existing && existing.key === key) {
      existing.plot.setData(aligned);
      return;
    }
    if (existing) existing.plot.destroy();
    host.replaceChildren();
    const plot = new uPlot(
      {
        title,
        width,
        height: 200,
        scales: { x: { time: true }, y: opts?.log ? { distr: 3 } : { auto: true } },
        axes: [
          { stroke: "#9aa4af", grid: { stroke: "#2b333d" } },
          { stroke: "#9aa4af", grid: { stroke: "#2b333d" }, label: unit },
        ],
        series: [
          {},
          ...seriesDefs.map((s) => ({ label: s.label, stroke: s.stroke, dash: s.dash, width: 2, spanGaps: false })),
        ],
        legend: { live: true },
      },
      aligned,
      host,
    );
    host.setAttribute("data-series", seriesDefs.map((s) => s.label).join(", "));
    charts.set(id, { key, plot });
  }

  function renderCharts(data) {
    const all = data.series || [];
    const defs = all.map((s, i) => {
      const w = data.workers.find((x) => x.name === s.worker) || { versions: [] };
      const st = STYLES[i % STYLES.length];
      return {
        label: `${s.worker} ${s.label} (${roleOf(w, s.versionId)}, ${st.name})`,
        stroke: st.stroke,
        dash: st.dash,
      };
    });
    chart("chart-rps", "Requests per second", "req/s", defs, alignedSeries(all, "rps"));
    chart("chart-errors", "5xx error rate", "%", defs, alignedSeries(all, "errorRate"));
    const latDefs = [];
    const latData = [];
    const base = alignedSeries(all, "p95");
    latData.push(base[0]);
    all.forEach((s, i) => {
      for (const q of ["p50", "p95", "p99"]) {
        const st = STYLES[i % STYLES.length];
        latDefs.push({
          label: `${s.label} ${q}`,
          stroke: st.stroke,
          dash: q === "p95" ? st.dash : q === "p50" ? [1, 3] : [10, 2],
        });
        latData.push(alignTo(base[0], s, q));
      }
    });
    chart("chart-latency", "Latency p50 / p95 / p99", "ms", latDefs, latData);
    const recentFrom = Math.floor(Date.parse(data.generatedAt) / 1000) - RECENT_SECONDS;
    const rows = all.map((s) => {
      const w = data.workers.find((x) => x.name === s.worker) || { versions: [] };
      const sum = (pts, f) => pts.reduce((a, p) => a + (p[f] || 0), 0);
      const recent = s.points.filter((p) => p.t >= recentFrom);
      const req = sum(s.points, "requests");
      const err = sum(s.points, "errors5xx");
      const rReq = sum(recent, "requests");
      const rErr = sum(recent, "errors5xx");
      const last = [...s.points].reverse().find((p) => p.p95 !== null);
      const rate = (e, r) => (r ? `${fmt((100 * e) / r, 1)}%` : "–");
      return [
        s.worker,
        el("span", { className: "mono", title: s.versionId }, s.label),
        roleOf(w, s.versionId),
        String(req),
        rate(err, req),
        String(rReq),
        el("span", { className: "recent-error-rate" }, rate(rErr, rReq)),
        last ? `${fmt(last.p95, 1)} ms` : "–",
      ];
    });
    const heads = [
      "worker",
      "version",
      "role",
      "requests",
      "5xx rate",
      `requests (last ${RECENT_SECONDS} s)`,
      `5xx rate (last ${RECENT_SECONDS} s)`,
      "latest p95",
    ];
    const rowAttrs = (i) => ({ "data-version-id": all[i]?.versionId, "data-worker": all[i]?.worker });
    replace("traffic-table", tableOr("no traffic yet", heads, rows, "traffic per version", rowAttrs));
  }

  function alignTo(ts, s, field) {
    const m = new Map(s.points.map((p) => [p.t, p[field]]));
    return ts.map((t) => (m.has(t) ? m.get(t) : null));
  }

  function renderAnalysis(data) {
    const a = data.analysis || { points: [], decisions: [] };
    const pts = a.points || [];
    if (pts.length) {
      const ts = [...new Set(pts.map((p) => p.t))].sort((x, y) => x - y);
      const workers = [...new Set(pts.map((p) => p.worker || ""))];
      const at = (list, f) => {
        const m = new Map(list.map((p) => [p.t, p[f]]));
        return ts.map((t) => (m.has(t) && m.get(t) !== undefined ? Math.max(1e-3, m.get(t)) : null));
      };
      const defs = [{ label: "decision line 1/α", stroke: "#f85149", dash: [6, 4] }];
      const rows = [ts, at(pts, "threshold")];
      workers.forEach((w, i) => {
        const mine = pts.filter((p) => (p.worker || "") === w);
        const st = STYLES[i % STYLES.length];
        defs.push({ label: `${w ? `${w} ` : ""}e-value, errors (${st.name})`, stroke: st.stroke, dash: st.dash });
        rows.push(at(mine, "e"));
        if (mine.some((p) => p.eLatency !== undefined)) {
          defs.push({ label: `${w ? `${w} ` : ""}e-value, latency (dotted)`, stroke: st.stroke, dash: [2, 3] });
          rows.push(at(mine, "eLatency"));
        }
      });
      chart("chart-analysis", "Canary test statistic vs decision line (log scale)", "e", defs, rows, { log: true });
      const latest = pts[pts.length - 1];
      $("chart-analysis").setAttribute(
        "aria-label",
        `Canary e-value against the decision line; latest e = ${fmt(latest.e, 2)} against ${fmt(latest.threshold, 0)}`,
      );
    } else {
      replace("chart-analysis", note("no canary analysis yet"));
      charts.delete("chart-analysis");
    }
    const decisions = (a.decisions || []).slice(-30).reverse();
    replace(
      "decisions",
      ...(decisions.length
        ? decisions.map((d) =>
            el(
              "div",
              { className: "decision" },
              badge(
                d.verdict.toUpperCase(),
                d.verdict === "rollback" ? "bad" : d.verdict === "promote" ? "ok" : "muted",
              ),
              " ",
              el("span", { className: "mono" }, new Date(d.t * 1000).toLocaleTimeString()),
              " ",
              `${d.worker}: ${d.message}`,
              d.numbers && Object.keys(d.numbers).length
                ? el(
                    "span",
                    { className: "numbers mono" },
                    Object.entries(d.numbers)
                      .map(([k, v]) => `${k}=${typeof v === "number" ? +v.toPrecision(4) : v}`)
                      .join("  "),
                  )
                : "",
            ),
          )
        : [note("no decisions yet")]),
    );
  }

  function renderFlags(data) {
    if (!changed("flags", data.flags)) return;
    const rows = (data.flags || []).map((f) => {
      const on = f.value === "1" || f.value === "on" || f.value === "true";
      const controls = live
        ? el(
            "button",
            {
              type: "button",
              "aria-pressed": on ? "true" : "false",
              "data-flag": f.name,
              "data-focus-key": `flag:${f.name}`,
              onclick: (ev) => flip(ev.currentTarget, f.name, on ? "0" : "1"),
            },
            on ? `Turn ${f.name} off` : `Turn ${f.name} on`,
          )
        : "";
      return [
        el("code", {}, f.name),
        badge(on ? "ON" : f.value === "0" ? "OFF" : f.value, on ? "bad" : "ok"),
        f.failMode ? `fails ${f.failMode}` : "not declared",
        `${time(f.updatedAt)}${f.actor ? ` by ${f.actor}` : ""}`,
        controls,
      ];
    });
    replace(
      "flags-body",
      tableOr("no flags set", ["flag", "value", "fail mode", "last change", ""], rows, "ops flags"),
    );
  }

  function renderQueues(data) {
    if (!changed("queues", data.queues)) return;
    const rows = (data.queues || []).map((q) => [
      el("code", {}, q.queue),
      q.backlog === undefined ? "–" : String(q.backlog),
      q.dlqDepth === undefined ? "–" : `${q.dlqDepth}${q.deadLetterQueue ? ` (${q.deadLetterQueue})` : ""}`,
      badge(q.paused ? "PAUSED" : "RUNNING", q.paused ? "warn" : "ok"),
      live
        ? el(
            "button",
            {
              type: "button",
              "data-focus-key": `queue:${q.queue}`,
              onclick: (ev) => queueAction(ev.currentTarget, q.queue, q.paused ? "resume" : "pause"),
            },
            `${q.paused ? "Resume" : "Pause"} delivery of ${q.queue}`,
          )
        : "",
    ]);
    replace("queues-body", tableOr("no queues", ["queue", "backlog", "DLQ depth", "delivery", ""], rows, "queues"));
  }

  function renderDatabases(data) {
    if (!changed("databases", data.databases)) return;
    const blocks = [];
    for (const d of data.databases || []) {
      blocks.push(el("h3", {}, `${d.database} (${d.worker})`));
      const points = d.restorePoints || [];
      const rows = (d.migrations || []).map((m) => {
        const rp = points.find((p) => p.beforeMigration === m.name);
        return [
          el("code", {}, m.name),
          badge(m.applied ? "APPLIED" : "PENDING", m.applied ? "ok" : "warn"),
          time(m.appliedAt),
          rp
            ? el(
                "span",
                { className: "mono", title: `bookmark ${rp.bookmark}` },
                // A bookmark starts with its time in hex: the second group (sequence) tells points apart.
                `${time(rp.createdAt)} · ${rp.bookmark.split("-").slice(0, 2).join("-")}`,
              )
            : "–",
        ];
      });
      blocks.push(
        tableOr(
          "no migrations",
          ["migration", "state", "applied", "restore point before it"],
          rows,
          `${d.database} migrations`,
        ),
      );
    }
    replace("d1-body", ...(blocks.length ? blocks : [note("no D1 databases")]));
  }

  function renderHistory(data) {
    if (!changed("history", data.workers)) return;
    const rows = [];
    for (const w of data.workers) {
      for (const d of w.deployments.slice(0, 15)) {
        rows.push([
          time(d.createdAt),
          w.name,
          badge(d.kind.toUpperCase(), d.kind === "rollback" ? "warn" : "muted"),
          d.versions
            .map((v) => {
              const tag = w.versions.find((x) => x.id === v.versionId)?.tag;
              return `${short(v.versionId)}${tag ? ` (${tag})` : ""}@${v.percentage}%`;
            })
            .join(" "),
          d.message || "",
        ]);
      }
    }
    replace(
      "history-body",
      tableOr("no deployments", ["when", "worker", "kind", "split", "message"], rows, "deployment history"),
    );
  }

  function renderGates(data) {
    const host = $("gates");
    if (!host) return;
    const gates = data.gates || [];
    const findings = data.findings || [];
    host.hidden = gates.length === 0 && findings.length === 0;
    replace(
      "gates-body",
      tableOr(
        "no gates",
        ["gate", "outcome", "detail"],
        gates.map((g) => [
          g.name,
          badge(g.outcome.toUpperCase(), g.outcome === "ok" ? "ok" : g.outcome === "failed" ? "bad" : "muted"),
          g.detail,
        ]),
        "gates",
      ),
      tableOr(
        "no findings",
        ["rule", "severity", "where", "message"],
        findings.map((f) => [
          el("code", {}, f.rule),
          badge(f.severity.toUpperCase(), f.severity === "error" ? "bad" : "warn"),
          `${f.file}:${f.line}`,
          f.message,
        ]),
        "findings",
      ),
    );
  }

  function render(data) {
    window.__blastwallDashboard.data = data;
    document.title = `${data.title} · blastwall`;
    replace("title", data.title);
    replace("meta", `${data.target} · updated ${new Date(data.generatedAt).toLocaleTimeString()}`);
    const problems = data.problems || [];
    replace("problems", problems.length ? `Could not read: ${problems.join("; ")}` : "");
    renderVersions(data);
    renderCharts(data);
    renderAnalysis(data);
    renderFlags(data);
    renderQueues(data);
    renderDatabases(data);
    renderHistory(data);
    renderGates(data);
  }

  function status(text, state) {
    const s = $("status");
    if (!s) return;
    s.textContent = text;
    s.dataset.state = state || "ok";
  }

  // A busy control stays focusable (a disabled one would drop keyboard focus), it just ignores clicks.
  function busyButton(button) {
    if (button.getAttribute("aria-disabled") === "true") return false;
    button.setAttribute("aria-disabled", "true");
    return true;
  }

  async function flip(button, name, value) {
    if (!busyButton(button)) return;
    try {
      await api("PUT", `/flags/${encodeURIComponent(name)}`, { value, actor: "dashboard" });
      status(`${name} set to ${value === "1" ? "on" : "off"}`);
      await refresh();
    } catch (err) {
      status(String(err.message || err), "error");
      button.removeAttribute("aria-disabled");
    }
  }

  async function queueAction(button, queue, action) {
    if (!busyButton(button)) return;
    try {
      await api("POST", `/queues/${encodeURIComponent(queue)}/${action}`);
      status(`${queue}: delivery ${action === "pause" ? "paused" : "resumed"}`);
      await refresh();
    } catch (err) {
      status(String(err.message || err), "error");
      button.removeAttribute("aria-disabled");
    }
  }

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      render(await api("GET", "/dashboard"));
      document.body.dataset.ready = "true";
    } catch (err) {
      status(`cannot reach the edge: ${err.message || err}`, "error");
    } finally {
      busy = false;
    }
  }

  if (live && !cfg.token) {
    status("no control token: open the dashboard URL that `blastwall local status` prints", "error");
  } else if (live) {
    // refresh() handles its own errors; the interval keeps polling regardless.
    void refresh();
    setInterval(() => void refresh(), cfg.pollMs || 1000);
  } else if (cfg.data) {
    render(cfg.data);
    document.body.dataset.ready = "true";
  }
})();
