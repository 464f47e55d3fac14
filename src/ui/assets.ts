import { createHash } from "node:crypto";

/**
 * The dashboard's only static files, kept as strings in the code so they ship inside the bundle
 * (dist/bundle/main.js, which is what `npm start` and the Docker image run) with no file to find
 * at run time. The script only improves pages that work without it: times in the viewer's zone,
 * a confirmation before destructive actions.
 */

const STYLE = String.raw`
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --bg: #ffffff; --panel: #f5f7fa; --line: #d6dbe1;
  --accent: #1f5fbf; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --focus: #ff9800; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ed; --muted: #9aa4af; --bg: #12161b; --panel: #1b2129; --line: #2f3842;
  --accent: #6ea8ff; --ok: #4cc26a; --bad: #ff6b6b; --warn: #e3b341; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 1; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; font-size: 17px; color: var(--fg); text-decoration: none; }
header.top nav { display: flex; flex-wrap: wrap; gap: 4px 14px; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 10px; color: var(--muted); font-size: 13px; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 22px; margin: 6px 0 14px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.muted { color: var(--muted); } .mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 420px; white-space: pre-wrap; word-break: break-all; margin: 6px 0; }
pre.hex { white-space: pre; word-break: normal; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.url { word-break: break-all; max-width: 420px; }
table.kv th { width: 180px; text-transform: none; font-size: 14px; letter-spacing: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; text-decoration: none; color: var(--fg); }
.card .n { font-size: 24px; font-weight: 700; display: block; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.status { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; border: 1px solid currentColor; white-space: nowrap; }
.s-succeeded, .s-active { color: var(--ok); } .s-failed { color: var(--bad); } .s-running, .s-paused { color: var(--warn); }
.s-registered { color: var(--accent); } .s-cancelled { color: var(--muted); }
.tag { display: inline-block; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; margin: 0 3px 3px 0; font-size: 12px; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; margin-bottom: 12px; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 3px; }
input, select, button { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
button { cursor: pointer; background: var(--panel); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { color: var(--bad); border-color: var(--bad); }
button.link { border: none; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; } .actions form { margin: 0; }
.notice { padding: 8px 12px; border-radius: 4px; border: 1px solid var(--ok); color: var(--ok); margin-bottom: 12px; }
.error { padding: 8px 12px; border-radius: 4px; border: 1px solid var(--bad); color: var(--bad); margin-bottom: 12px; }
.pager { display: flex; gap: 16px; margin: 12px 0; }
form.stack { display: flex; flex-direction: column; gap: 12px; max-width: 420px; }
.signin { max-width: 460px; margin: 60px auto; }
svg.chart { width: 100%; height: auto; display: block; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
svg.chart .bar-ok { fill: var(--ok); } svg.chart .bar-bad { fill: var(--bad); } svg.chart .bar { fill: var(--accent); }
svg.chart .axis { stroke: var(--line); } svg.chart text { fill: var(--muted); font-size: 11px; font-family: system-ui, sans-serif; }
details summary { cursor: pointer; }
a.button { display: inline-block; padding: 6px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); color: var(--fg); text-decoration: none; }
form.schedule { display: flex; flex-direction: column; gap: 12px; max-width: 680px; }
form.schedule .field { display: flex; flex-direction: column; gap: 3px; }
form.schedule label { font-weight: 600; font-size: 14px; }
form.schedule .hint { font-size: 12px; color: var(--muted); }
.field-error { font-size: 13px; color: var(--bad); }
form.schedule .invalid input, form.schedule .invalid textarea, form.schedule .invalid select { border-color: var(--bad); }
textarea { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
.preview { border: 1px solid var(--accent); border-radius: 6px; padding: 4px 12px 8px; }
tr.dst td { background: var(--panel); }
@media (max-width: 760px) {
  .grid2 { grid-template-columns: 1fr; }
  header.top .who { margin-left: 0; width: 100%; }
  main { padding: 12px; }
  table.kv th { width: 120px; }
  .hide-narrow { display: none; }
}
`;

const SCRIPT = String.raw`
"use strict";
(function () {
  var format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) return;
    el.textContent = format.format(when);
    el.setAttribute("title", when.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") + " (shown in " + zone + ")");
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
`;

/** A static file of the dashboard. */
export interface Asset {
  contentType: string;
  body: string;
  /** A content hash, put in the asset's URL so a browser never keeps an outdated copy. */
  version: string;
}

const asset = (contentType: string, body: string): Asset => ({
  contentType,
  body,
  version: createHash("sha256").update(body).digest("hex").slice(0, 12),
});

/** The dashboard's static files by name (served at /ui/assets/<name>). */
export const ASSETS: Readonly<Record<string, Asset>> = {
  "dashboard.css": asset("text/css; charset=utf-8", STYLE),
  "dashboard.js": asset("text/javascript; charset=utf-8", SCRIPT),
};

/** The URL of an asset, versioned by its content. */
export function assetUrl(name: keyof typeof ASSETS & string): string {
  return `/ui/assets/${name}?v=${ASSETS[name]?.version ?? ""}`;
}
