// The console's only assets, served by the gateway itself (no CDN, nothing fetched from elsewhere). The script is
// progressive enhancement: every page works without it.

export const CONSOLE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa;--accent:#0969da;--warn:#9a6700;--warnbg:#fff8c5;--bad:#cf222e;--badbg:#ffebe9;--ok:#1a7f37}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header .brand{font-weight:600;color:var(--fg);text-decoration:none}
nav{display:flex;flex-wrap:wrap;gap:.25rem}
nav a{padding:.3rem .6rem;border-radius:6px;color:var(--fg);text-decoration:none}
nav a[aria-current=page]{background:var(--fg);color:#fff}
header form{margin-left:auto}
main{padding:1rem;max-width:1400px;margin:0 auto}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
a{color:var(--accent)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:.75rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.75rem;background:var(--panel)}
.card .big{font-size:1.5rem;font-weight:600;overflow-wrap:anywhere}
.muted,.note{color:var(--muted);font-size:.85rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:flex-end;margin:1rem 0}
label{display:flex;flex-direction:column;font-size:.85rem;gap:.15rem}
input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:6px;background:#fff;max-width:100%}
button,.button{cursor:pointer;background:var(--fg);color:#fff;border-color:var(--fg);text-decoration:none;display:inline-block;padding:.35rem .7rem;border-radius:6px}
button.secondary,.button.secondary{background:#fff;color:var(--fg)}
button.danger{background:var(--bad);border-color:var(--bad)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.4rem .6rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap;vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;border-top:2px solid var(--fg)}
th a{color:inherit;text-decoration:none}
td.wrap{white-space:normal}
td .wrap{white-space:normal;overflow-wrap:anywhere;min-width:14ch;max-width:26ch}
.chart-wrap{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1rem;align-items:start}
.chart{width:100%;height:auto;font-size:11px;fill:var(--muted)}
.chart .grid{stroke:var(--line)}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;padding:0;margin:.4rem 0;font-size:.85rem}
.legend li{min-width:0;overflow-wrap:anywhere}
figure.plain{margin:0}
.daily{max-height:340px;overflow:auto}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
.state-over{color:var(--bad);background:var(--badbg)}
.state-near{color:var(--warn);background:var(--warnbg)}
.state-ok{color:var(--ok)}
tr.attention-over td:first-child{border-left:4px solid var(--bad)}
tr.attention-near td:first-child{border-left:4px dashed var(--warn)}
.bar{display:block;width:140px;height:10px}
.bar .track{fill:var(--panel);stroke:var(--line)}
.bar .used{fill:var(--accent)}
.bar .used.over{fill:var(--bad)}
.bar .used.near{fill:var(--warn)}
.secret{display:block;padding:.6rem;background:var(--panel);border:1px solid var(--line);border-radius:6px;font-family:ui-monospace,Menlo,monospace;word-break:break-all;white-space:pre-wrap}
.notice{padding:.6rem .8rem;border-radius:6px;border:1px solid var(--line);background:var(--panel);margin:.5rem 0}
.notice.error{border-color:var(--bad);background:var(--badbg)}
.grid-form{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:.6rem;margin:.5rem 0}
.actions{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
.actions form{margin:0}
.signin{max-width:380px;margin:10vh auto;padding:1.25rem;border:1px solid var(--line);border-radius:10px}
.signin label{margin:.75rem 0}
code{font-family:ui-monospace,Menlo,monospace;font-size:.85em}
@media (max-width:900px){.chart-wrap{grid-template-columns:1fr}}
@media (max-width:600px){.chart-wrap figure.plain{overflow-x:auto}.chart{min-width:560px;font-size:15px}main{padding:.6rem}header{padding:.5rem .6rem}header form{margin-left:0}.card .big{font-size:1.25rem}th,td{padding:.35rem .45rem}}
`;

export const CONSOLE_JS = `
"use strict";
document.addEventListener("click", async (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) return;
  const el = document.getElementById(b.dataset.copy);
  const text = el ? el.textContent : "";
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const r = document.createRange();
    r.selectNodeContents(el);
    const s = getSelection();
    s.removeAllRanges();
    s.addRange(r);
    document.execCommand("copy");
  }
  b.textContent = "Copied";
});
const period = document.querySelector("select[name=period]");
if (period) {
  const sync = () => document.querySelectorAll("[data-custom]").forEach((el) => (el.hidden = period.value !== "custom"));
  period.addEventListener("change", sync);
  sync();
}
`;
